import { pino, type Logger, type DestinationStream } from 'pino';
import { scrubSecrets } from './secrets.js';

/** Keys redacted wherever they appear in a log object, whatever the connector. */
export const ALWAYS_REDACTED_PATHS = [
  'authorization',
  '*.authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
  'password',
  '*.password',
  'apiKey',
  '*.apiKey',
  'apiSecret',
  '*.apiSecret',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'settings',
  '*.settings',
];

export interface ConnectorLoggerOptions {
  connectionId: string;
  connector: string;
  secrets: readonly string[];
  level?: string;
  destination?: DestinationStream;
}

/**
 * A pino logger for connector code: known secret keys are redacted by path, and the connection's own
 * secret values are scrubbed from every line, so a secret interpolated into a message is caught too.
 * Writes synchronously because async destinations lose lines inside worker threads.
 */
export function createConnectorLogger(options: ConnectorLoggerOptions): Logger {
  const destination = options.destination ?? pino.destination({ dest: 1, sync: true });
  return pino(
    {
      level: options.level ?? process.env.SWITCHYARD_LOG_LEVEL ?? 'info',
      base: { connection: options.connectionId, connector: options.connector },
      redact: { paths: ALWAYS_REDACTED_PATHS, censor: '[REDACTED]' },
      hooks: {
        streamWrite: (line) => scrubSecrets(line, options.secrets),
      },
    },
    destination,
  );
}
