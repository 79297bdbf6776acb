import { pino, type DestinationStream, type Logger } from 'pino';
import pinoPretty from 'pino-pretty';
import { ALWAYS_REDACTED_PATHS, scrubSecrets } from '@switchyard/sdk-kit';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level?: string;
  /** Secret values from the configuration, scrubbed from every line wherever they appear. */
  secrets?: () => readonly string[];
  destination?: DestinationStream;
  /** Human-readable lines instead of JSON (default: when stdout is a terminal). */
  pretty?: boolean;
}

/**
 * The router's logger: JSON lines (human-readable on a terminal), known secret keys redacted, configured secret
 * values scrubbed before a line is written either way.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const secrets = options.secrets ?? (() => []);
  return pino(
    {
      level: options.level ?? process.env.SWITCHYARD_LOG_LEVEL ?? 'info',
      base: { service: 'switchyard' },
      redact: { paths: [...ALWAYS_REDACTED_PATHS, 'writeKey', '*.writeKey', 'tokens', '*.tokens'], censor: '[REDACTED]' },
      hooks: { streamWrite: (line) => scrubSecrets(line, secrets()) },
    },
    options.destination ??
      ((options.pretty ?? process.stdout.isTTY)
        ? pinoPretty({ destination: 1, ignore: 'pid,hostname,service,reqId', translateTime: 'SYS:HH:MM:ss.l', singleLine: true })
        : pino.destination({ dest: 1, sync: false })),
  );
}

export const silentLogger: Logger = pino({ level: 'silent' });
