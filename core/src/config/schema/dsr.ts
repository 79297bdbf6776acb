import { Type } from '@sinclair/typebox';
import { closed, NonEmptyString, PositiveInt } from './common.js';

/** The `dsr` section: data-subject requests (OpenDSR) this deployment answers as a processor. */
export const DSR_CONFIG_SCHEMA = Type.Object(
  {
    processorDomain: Type.Optional(NonEmptyString),
    publicUrl: Type.Optional(Type.String({ format: 'uri' })),
    certificateFile: Type.Optional(Type.String()),
    privateKeyFile: Type.Optional(Type.String()),
    /** How long a request stays pending and cancellable (default 60 s). */
    gracePeriodMs: Type.Optional(Type.Integer({ minimum: 0 })),
    /** How long access/portability results stay downloadable (default 7 days). */
    resultsTtlMs: Type.Optional(PositiveInt),
    /** Reported to controllers as expected_completion_time (default 24 h). */
    expectedCompletionMs: Type.Optional(PositiveInt),
    /**
     * How often a router looks for due requests none of its timers runs (default 5 s): with shared state, those
     * another router accepted or left unfinished when it stopped.
     */
    sweepIntervalMs: Type.Optional(PositiveInt),
  },
  closed,
);
