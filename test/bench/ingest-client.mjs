// Load generator in its own process: POSTs Segment /v1/batch requests of 100 events with a few in flight,
// and reports events/s, acknowledgement latencies and the CPU time it used. Args come over IPC: {url (or urls, taken
// in turn per request), writeKey, events, concurrency, users (distinct user ids, default 1000), withAnonymousId,
// ratePerSecond}. With ratePerSecond the requests leave on a fixed schedule (open loop) and each latency runs from
// the moment its request was due, so a server falling behind shows in the figures instead of slowing the client.
import { Agent, request } from 'node:http';

function makeBatch(from, size, runId, users, withAnonymousId) {
  const sentAt = new Date().toISOString();
  const batch = [];
  for (let i = from; i < from + size; i += 1) {
    batch.push({
      type: 'track',
      messageId: `${runId}-${i}`,
      userId: `user-${i % users}`,
      ...(withAnonymousId ? { anonymousId: `anon-${i % users}` } : {}),
      event: 'Product Viewed',
      properties: { sku: `sku-${i % 50}`, price: 19.99, currency: 'USD', lane: 'ingest', acceptedAt: 0 },
      context: { ip: '203.0.113.7', library: { name: 'bench', version: '1' } },
      timestamp: sentAt,
    });
  }
  return batch;
}

function post(agent, url, auth, body) {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: auth, 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode < 300 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const untilDue = (due) => new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));

process.once('message', async ({ url, urls = [url], writeKey, events, concurrency, runId, users = 1000, withAnonymousId = false, ratePerSecond }) => {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const auth = `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
  const bodies = [];
  for (let from = 0; from < events; from += 100) bodies.push(makeBatch(from, Math.min(100, events - from), runId, users, withAnonymousId));
  const latencies = [];
  let next = 0;
  const start = performance.now();
  const cpuAtStart = process.cpuUsage();
  const worker = async () => {
    while (next < bodies.length) {
      const index = next++;
      const target = urls[index % urls.length];
      const batch = bodies[index];
      const due = ratePerSecond ? start + (index * 100 * 1000) / ratePerSecond : undefined;
      if (due !== undefined) await untilDue(due);
      const acceptedAt = Date.now();
      for (const event of batch) event.properties.acceptedAt = acceptedAt;
      const t0 = due ?? performance.now();
      await post(agent, target, auth, JSON.stringify({ batch }));
      latencies.push(performance.now() - t0);
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
    const seconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuAtStart);
    process.send({ ok: true, seconds, latencies, cpuSeconds: (cpu.user + cpu.system) / 1e6 });
  } catch (error) {
    process.send({ ok: false, error: error.message });
  }
  agent.destroy();
});
