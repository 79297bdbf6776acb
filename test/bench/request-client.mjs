// Load generator in its own process: single small POSTs with a few in flight, for request-rate figures.
// Args over IPC: {url, kind: 'idsync' | 'track', requests, concurrency, people}.
import { Agent, request } from 'node:http';

const AUTH = {
  idsync: `Basic ${Buffer.from('mp_bench:mp_secret').toString('base64')}`,
  track: `Basic ${Buffer.from('wk_bench:').toString('base64')}`,
};

function bodyOf(kind, i, people) {
  const person = i % people;
  if (kind === 'idsync')
    return { environment: 'production', request_id: `r-${i}`, known_identities: { email: `person-${person}@example.com`, android_uuid: `device-${person}` } };
  return { userId: `user-${person}`, event: 'Viewed', messageId: `m-${i}-${Math.random()}` };
}

process.once('message', async ({ url, kind, requests, concurrency, people }) => {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let next = 0;
  const post = (body) =>
    new Promise((resolve, reject) => {
      const text = JSON.stringify(body);
      const req = request(
        url,
        { method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: AUTH[kind], 'content-length': Buffer.byteLength(text) } },
        (res) => {
          res.resume();
          res.on('end', () => (res.statusCode < 300 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
        },
      );
      req.on('error', reject);
      req.end(text);
    });
  const start = performance.now();
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < requests) await post(bodyOf(kind, next++, people));
      }),
    );
    process.send({ ok: true, seconds: (performance.now() - start) / 1000 });
  } catch (error) {
    process.send({ ok: false, error: error.message });
  }
  agent.destroy();
});
