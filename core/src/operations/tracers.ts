import type { EventTracer } from '../types.js';

/** One tracer port for the stages, reporting to each operator read-out (the trace store, the live view). */
export function combineTracers(...tracers: EventTracer[]): EventTracer {
  return {
    decided: (event, chosen, skipped) => {
      for (const tracer of tracers) tracer.decided(event, chosen, skipped);
    },
    dropped: (event, reason) => {
      for (const tracer of tracers) tracer.dropped(event, reason);
    },
  };
}
