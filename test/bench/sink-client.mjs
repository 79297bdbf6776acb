import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Starts the sink process (answering after `delayMs`) and returns a small RPC client for it. */
export async function startSinkProcess({ delayMs = 0 } = {}) {
  const child = fork(fileURLToPath(new URL('./sink-process.mjs', import.meta.url)), [String(delayMs)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ask = (type) =>
    new Promise((resolve) => {
      const onMessage = (message) => {
        if (message.type === type) {
          child.off('message', onMessage);
          resolve(message);
        }
      };
      child.on('message', onMessage);
      if (type !== 'ready') child.send({ type });
    });
  const { url } = await ask('ready');
  return {
    url,
    reset: () => ask('reset'),
    count: async () => (await ask('count')).count,
    distinct: async () => (await ask('count')).distinct,
    stats: () => ask('stats'),
    /** Resolves once `n` events arrived (`distinct`: `n` different message ids, duplicates aside). */
    async waitForCount(n, timeoutMs = 300_000, { distinct = false } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const count = await (distinct ? this.distinct() : this.count());
        if (count >= n) return count;
        if (Date.now() > deadline) throw new Error(`sink saw ${count} of ${n} events before the deadline`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.send({ type: 'stop' });
      }),
  };
}

export function percentile(values, p) {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
