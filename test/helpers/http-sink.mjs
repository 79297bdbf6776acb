// A loopback destination that counts message ids, for the durability test and benchmarks.
import { createServer } from 'node:http';

export async function startCountingSink({ status = 200, delayMs = 0 } = {}) {
  const received = [];
  const waiters = new Set();
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const now = Date.now();
      const events = Array.isArray(body.batch) ? body.batch : [body];
      for (const event of events) received.push({ messageId: event.messageId, at: now, event, path: req.url });
      const answer = () => {
        res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
      };
      if (delayMs) setTimeout(answer, delayMs);
      else answer();
      for (const check of waiters) check();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/sink`,
    received,
    waitFor(predicate, timeoutMs, what) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (predicate()) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${what}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
