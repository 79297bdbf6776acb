// The benchmark's destination, in its own process so it does not share a core's event loop with the router.
// Answers IPC: {type:'reset'}, {type:'count'} → {count, distinct (message ids)}, {type:'stats'} → {count, latencies
// (ms from acceptance to arrival), perPath, maxGapMs (the longest pause between arrivals), cpuSeconds (since reset)}.
// argv[2]: milliseconds before each answer (a vendor API's latency); 0 answers at once.
import { startCountingSink } from '../helpers/http-sink.mjs';

const sink = await startCountingSink({ delayMs: Number(process.argv[2] ?? 0) });
const distinct = new Set();
let counted = 0;
let cpuAtReset = process.cpuUsage();
process.send({ type: 'ready', url: sink.url });
process.on('message', (message) => {
  if (message.type === 'reset') {
    sink.received.length = 0;
    distinct.clear();
    counted = 0;
    cpuAtReset = process.cpuUsage();
    process.send({ type: 'reset' });
  } else if (message.type === 'count') {
    for (let i = counted; i < sink.received.length; i += 1) distinct.add(sink.received[i].messageId);
    counted = sink.received.length;
    process.send({ type: 'count', count: sink.received.length, distinct: distinct.size });
  } else if (message.type === 'stats') {
    const latencies = sink.received.map((r) => r.at - (r.event.properties?.acceptedAt ?? r.at));
    const perPath = {};
    for (const r of sink.received) perPath[r.event.properties?.lane ?? 'default'] = (perPath[r.event.properties?.lane ?? 'default'] ?? 0) + 1;
    let maxGapMs = 0;
    for (let i = 1; i < sink.received.length; i += 1) maxGapMs = Math.max(maxGapMs, sink.received[i].at - sink.received[i - 1].at);
    const cpu = process.cpuUsage(cpuAtReset);
    process.send({ type: 'stats', count: sink.received.length, latencies, perPath, maxGapMs, cpuSeconds: (cpu.user + cpu.system) / 1e6 });
  } else if (message.type === 'stop') {
    sink.close().then(() => process.exit(0));
  }
});
