// `npm run bench`: every benchmark, each figure beside a baseline measured in the same run.
// BENCH_EVENTS sets the events per run (default 20000); BENCH_MEMORY_SECONDS the memory run's length (default 30).
import { existsSync } from 'node:fs';
import { runRuntimeBench } from './runtime-bench.mjs';

const events = Number(process.env.BENCH_EVENTS ?? 20_000);
await runRuntimeBench({ events });
const { runMemoryBench } = await import('./memory-bench.mjs');
await runMemoryBench();
if (existsSync(new URL('./ingestion-bench.mjs', import.meta.url))) {
  const { runIngestionBench } = await import('./ingestion-bench.mjs');
  await runIngestionBench({ events });
}
const { runIdentityBench } = await import('./identity-bench.mjs');
await runIdentityBench({ events });
const { runAudienceBench } = await import('./audience-bench.mjs');
await runAudienceBench({ events });
const { runAudienceSyncBench } = await import('./audience-sync-bench.mjs');
await runAudienceSyncBench();
process.exit(0);
