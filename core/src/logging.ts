import { pino, type DestinationStream, type Logger } from 'pino';
import { ALWAYS_REDACTED_PATHS, scrubSecrets } from '@switchyard/sdk-kit';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level?: string;
  /** Secret values from the configuration, scrubbed from every line wherever they appear. */
  secrets?: () => readonly string[];
  destination?: DestinationStream;
}

/** The router's logger: JSON lines, known secret keys redacted, configured secret values scrubbed. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const secrets = options.secrets ?? (() => []);
  return pino(
    {
      level: options.level ?? process.env.SWITCHYARD_LOG_LEVEL ?? 'info',
      base: { service: 'switchyard' },
      redact: { paths: [...ALWAYS_REDACTED_PATHS, 'writeKey', '*.writeKey', 'tokens', '*.tokens'], censor: '[REDACTED]' },
      hooks: { streamWrite: (line) => scrubSecrets(line, secrets()) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

export const silentLogger: Logger = pino({ level: 'silent' });
