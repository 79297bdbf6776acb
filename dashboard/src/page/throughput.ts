import { useRef } from 'preact/hooks';
import type { AdminApi } from './api.js';
import { usePolling } from './polling.js';
import { mergeSamples } from './rates.js';
import type { Throughput, ThroughputSample } from './types.js';

export const REFRESH_MS = 3000;

/**
 * The router's throughput history (`GET /admin/v1/throughput`), the whole window once and then only the samples
 * after the last one held, so charts show the last minutes from the moment the page opens.
 */
export function useThroughput(api: AdminApi) {
  const held = useRef<{ samples: ThroughputSample[]; windowMs: number }>({ samples: [], windowMs: 15 * 60_000 });
  return usePolling(async () => {
    const last = held.current.samples[held.current.samples.length - 1];
    const answer = await api.get<Throughput>(`/admin/v1/throughput${last ? `?since=${encodeURIComponent(last.at)}` : ''}`);
    held.current = { samples: mergeSamples(held.current.samples, answer.samples, answer.windowMs), windowMs: answer.windowMs };
    return held.current.samples;
  }, REFRESH_MS);
}
