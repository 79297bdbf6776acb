import { got } from 'got';
import type { Logger } from '../logging.js';
import type { DsrSigner } from './signing.js';

export interface CallbackOptions {
  attempts: number;
  baseDelayMs: number;
}

/**
 * POSTs a status change to every callback URL, signed, retrying failures with backoff. Callbacks never
 * block request processing; a callback that keeps failing is logged (without the subject's identities).
 */
export async function sendStatusCallbacks(
  urls: string[],
  bodyFor: (url: string) => Record<string, unknown>,
  signer: DsrSigner,
  log: Logger,
  options: CallbackOptions = { attempts: 5, baseDelayMs: 500 },
): Promise<void> {
  await Promise.all(
    urls.map(async (url) => {
      const raw = JSON.stringify(bodyFor(url));
      for (let attempt = 1; attempt <= options.attempts; attempt += 1) {
        try {
          await got.post(url, {
            body: raw,
            headers: { 'content-type': 'application/json', ...signer.headersFor(raw) },
            retry: { limit: 0 },
            timeout: { request: 10_000 },
          });
          return;
        } catch (error) {
          if (attempt === options.attempts) {
            log.warn({ callbackHost: safeHost(url), attempts: attempt, error: (error as Error).message }, 'OpenDSR status callback failed');
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, options.baseDelayMs * 2 ** (attempt - 1)));
        }
      }
    }),
  );
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'invalid-url';
  }
}
