import { ClientRateLimit } from '../http-input/client-rate-limit.js';
import type { PrivacyPagesConfig } from '../config/config-types.js';

/** Where the 429's Retry-After goes. */
interface Reply {
  header(name: string, value: string): unknown;
}

const DEFAULT_REQUESTS_PER_WINDOW = 5;
const DEFAULT_WINDOW_SECONDS = 900;
/** Consent choices per client address and minute: a visitor changes their mind a few times, a script thousands. */
const CONSENT_CHOICES_PER_MINUTE = 60;

/**
 * The request budgets of the privacy pages, on the router's one per-client limiter: request-page submissions per
 * client address and per email address (from `privacyPages.requests`, rebuilt when a reload changes them), and
 * consent choices per client address.
 */
export class PageLimits {
  private requests?: { key: string; limit: ClientRateLimit };
  private readonly consent = new ClientRateLimit(CONSENT_CHOICES_PER_MINUTE, 60_000);

  /** Counts one request-page submission of every client named; throws the 429 when any is past its budget. */
  take(config: NonNullable<PrivacyPagesConfig['requests']>, clients: readonly string[], reply: Reply): void {
    const perWindow = config.requestsPerWindow ?? DEFAULT_REQUESTS_PER_WINDOW;
    const windowSeconds = config.windowSeconds ?? DEFAULT_WINDOW_SECONDS;
    const key = `${perWindow}/${windowSeconds}`;
    if (this.requests?.key !== key) this.requests = { key, limit: new ClientRateLimit(perWindow, windowSeconds * 1000) };
    const limit = this.requests.limit;
    const waits = clients.map((client) => limit.take(client)).filter((wait): wait is number => wait !== undefined);
    if (!waits.length) return;
    const wait = Math.max(...waits);
    reply.header('retry-after', String(wait));
    throw limit.refusal(wait);
  }

  /** Counts one consent choice from a client address; throws the 429 past the budget. */
  takeConsent(client: string, reply: Reply): void {
    const wait = this.consent.take(client);
    if (wait === undefined) return;
    reply.header('retry-after', String(wait));
    throw this.consent.refusal(wait);
  }
}
