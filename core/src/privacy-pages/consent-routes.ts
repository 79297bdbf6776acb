import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { PrivacyConfig, PrivacyPagesConfig } from '../config/config-types.js';
import { RequestError } from '../http-input/request-error.js';
import type { RawIdentifier } from '../identity/identity-graph.js';
import { personKeys, type PrivacyGate } from '../privacy/privacy-gate.js';
import { identityKey } from '../vocabulary/identity-types.js';
import type { PageLimits } from './page-limits.js';
import { readConsentChoice } from './consent-choice.js';

export type ConsentBannerConfig = NonNullable<PrivacyPagesConfig['consent']>;

export interface ConsentRoutesOptions {
  config: () => ConsentBannerConfig | undefined;
  privacy: () => PrivacyConfig;
  gate: Pick<PrivacyGate, 'recordConsent' | 'personsOf'>;
  limits: PageLimits;
  /** The router's public base URL; its origin is the only one consent writes are taken from. */
  publicUrl: () => string | undefined;
}

const asset = (name: string) => readFileSync(new URL(`../../assets/${name}`, import.meta.url), 'utf8');
const BANNER_SOURCE = asset('consent-banner.js');
const FRAME_SOURCE = asset('consent-frame.js');

/** JSON that can sit inside a script element. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

/**
 * The consent banner: `/consent.js` (the script a site adds), `/privacy/consent/frame` (the router-origin frame it
 * embeds, framable only by the allowed sites) and `POST /privacy/consent`, which takes a choice only from that frame:
 * same-origin JSON, so a hostile page can neither post it (no CORS, and its Origin is not the router's) nor drive
 * the frame (the frame takes messages only from the allowed site it was opened for).
 */
export const consentRoutes: FastifyPluginAsync<ConsentRoutesOptions> = async (app, options) => {
  const routerOrigin = (request: FastifyRequest) => new URL(options.publicUrl() ?? `${request.protocol}://${request.headers.host ?? 'localhost'}`).origin;
  const enabled = () => {
    const config = options.config();
    if (!config) throw new RequestError(404, 'NOT_CONFIGURED', [], 'the consent banner is off: configure privacyPages.consent');
    return config;
  };

  app.get('/consent.js', async (request, reply) => {
    const config = enabled();
    const settings = {
      routerOrigin: routerOrigin(request),
      title: config.title ?? 'Your privacy choices',
      text: config.text ?? 'We would like your permission to use your data for the purposes below. You can change your mind at any time.',
      ...(config.policyUrl ? { policyUrl: config.policyUrl } : {}),
      purposes: options.privacy().purposes.map((purpose) => ({
        id: purpose.id,
        label: purpose.description ?? purpose.id,
        ...(purpose.segmentCategories ? { segmentCategories: purpose.segmentCategories } : {}),
        mparticlePurposes: purpose.mparticlePurposes ?? [purpose.id],
      })),
    };
    return reply
      .type('text/javascript; charset=utf-8')
      .headers({ 'cache-control': 'public, max-age=300', 'x-content-type-options': 'nosniff', 'cross-origin-resource-policy': 'cross-origin' })
      .send(`(function () {\n${BANNER_SOURCE}\nswitchyardConsentBanner(${scriptJson(settings)});\n})();\n`);
  });

  app.get<{ Querystring: { site?: string } }>('/privacy/consent/frame', async (request, reply) => {
    const config = enabled();
    const site = request.query.site;
    if (typeof site !== 'string' || !config.allowedOrigins.some((allowed) => allowed.toLowerCase() === site.toLowerCase()))
      throw new RequestError(403, 'ORIGIN_NOT_ALLOWED', [
        { path: 'site', message: `${String(site).slice(0, 200)} is not in privacyPages.consent.allowedOrigins; add the site there to show the banner on it` },
      ]);
    const nonce = randomBytes(16).toString('base64');
    const settings = { site, endpoint: '/privacy/consent' };
    return reply
      .type('text/html; charset=utf-8')
      .headers({
        // Only the allowed sites may frame it; its script talks to the router alone.
        'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; connect-src 'self'; frame-ancestors ${config.allowedOrigins.join(' ')}; base-uri 'none'`,
        'cache-control': 'no-store',
        'referrer-policy': 'no-referrer',
        'x-content-type-options': 'nosniff',
      })
      .send(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Consent recorder</title></head><body>` +
          `<script nonce="${nonce}">${FRAME_SOURCE}\nswitchyardConsentFrame(${scriptJson(settings)});</script></body></html>`,
      );
  });

  app.post('/privacy/consent', async (request, reply) => {
    const config = enabled();
    const own = routerOrigin(request);
    const origin = request.headers.origin;
    const fetchSite = request.headers['sec-fetch-site'];
    if (origin?.toLowerCase() !== own.toLowerCase() || (fetchSite !== undefined && fetchSite !== 'same-origin'))
      throw new RequestError(403, 'CONSENT_WRITE_REFUSED', [
        { path: 'origin', message: `consent is recorded only from the router's consent frame (${own}); embed /consent.js on an allowed site instead` },
      ]);
    // JSON only: the kinds of body a page on another site can post without a preflight are never a choice.
    if (!/^application\/json\s*(;|$)/i.test(request.headers['content-type'] ?? ''))
      throw new RequestError(415, 'UNSUPPORTED_MEDIA_TYPE', [{ path: 'content-type', message: 'send the choice as application/json' }]);
    options.limits.takeConsent(request.ip, reply);
    const checked = readConsentChoice(request.body, options.privacy(), config.allowedOrigins);
    if (!checked.ok) throw checked.error;
    const { identities, purposes } = checked.choice;
    const identifiers: RawIdentifier[] = Object.entries(identities).map(([type, value]) => ({ type, value }));
    const persons = await options.gate.personsOf(identifiers);
    const keys = [...new Set([...identifiers.map(({ type, value }) => identityKey(type, value)), ...persons.flatMap(personKeys)])];
    const now = Date.now();
    const { revocation } = options.gate.recordConsent(keys, {
      purposes: Object.fromEntries(Object.entries(purposes).map(([id, consented]) => [id, { consented, timestamp: now }])),
    });
    // Answered once no delivery decided under the withdrawn consent can still be leaving.
    await revocation;
    return reply.header('cache-control', 'no-store').send({ success: true, recorded: purposes });
  });
};
