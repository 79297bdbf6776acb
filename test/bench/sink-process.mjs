// The benchmark's destination, in its own process so it does not share a core's event loop with the router.
// Answers IPC: {type:'reset'} and {type:'stats'} → {count, latencies (ms from acceptance to arrival)}.
// argv[2]: milliseconds before each answer (a vendor API's latency); 0 answers at once.
import { startCountingSink } from '../helpers/http-sink.mjs';

const sink = await startCountingSink({ delayMs: Number(process.argv[2] ?? 0) });
process.send({ type: 'ready', url: sink.url });
process.on('message', (message) => {
  if (message.type === 'reset') {
    sink.received.length = 0;
    process.send({ type: 'reset' });
  } else if (message.type === 'count') {
    process.send({ type: 'count', count: sink.received.length });
  } else if (message.type === 'stats') {
    const latencies = sink.received.map((r) => r.at - (r.event.properties?.acceptedAt ?? r.at));
    const perPath = {};
    for (const r of sink.received) perPath[r.event.properties?.lane ?? 'default'] = (perPath[r.event.properties?.lane ?? 'default'] ?? 0) + 1;
    process.send({ type: 'stats', count: sink.received.length, latencies, perPath });
  } else if (message.type === 'stop') {
    sink.close().then(() => process.exit(0));
  }
});
