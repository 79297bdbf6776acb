// `npm run bench`: every benchmark, each figure beside a baseline measured in the same run.
// BENCH_EVENTS sets the events per run (default 20000); BENCH_MEMORY_SECONDS the memory run's length (default 30).
// `npm run bench -- --only scale-out` (or a comma-separated list of section names) runs only those sections.
import { parseArgs } from 'node:util';

const SECTIONS = {
  runtime: async (events) => (await import('./runtime-bench.mjs')).runRuntimeBench({ events }),
  memory: async () => (await import('./memory-bench.mjs')).runMemoryBench(),
  ingestion: async (events) => (await import('./ingestion-bench.mjs')).runIngestionBench({ events }),
  queue: async (events) => (await import('./queue-bench.mjs')).runQueueBench({ events }),
  identity: async (events) => (await import('./identity-bench.mjs')).runIdentityBench({ events }),
  audience: async (events) => (await import('./audience-bench.mjs')).runAudienceBench({ events }),
  'audience-sync': async () => (await import('./audience-sync-bench.mjs')).runAudienceSyncBench(),
  'scale-out': async (events) => (await import('./scale-out-bench.mjs')).runScaleOutBench({ events }),
};

const { values } = parseArgs({ options: { only: { type: 'string' } } });
const chosen = values.only ? values.only.split(',').map((name) => name.trim()) : Object.keys(SECTIONS);
const unknown = chosen.filter((name) => !(name in SECTIONS));
if (unknown.length) {
  console.error(`unknown benchmark section ${unknown.join(', ')}; the sections are: ${Object.keys(SECTIONS).join(', ')}`);
  process.exit(2);
}
const events = Number(process.env.BENCH_EVENTS ?? 20_000);
for (const name of chosen) await SECTIONS[name](events);
process.exit(0);
