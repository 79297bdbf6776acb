import { adminErrorBody } from '../admin/admin-routes.js';
import { openDsrErrorBody } from '../dsr/opendsr-validation.js';
import type { RequestError } from '../http-input/request-error.js';
import { ALIAS_PREFIX } from '../identity/alias-routes.js';
import { IDSYNC_PREFIX } from '../identity/idsync-routes.js';
import { mparticleErrorBody } from '../ingestion/mparticle/mparticle-routes.js';
import { MPARTICLE_WEB_PREFIXES } from '../ingestion/mparticle/mparticle-web-routes.js';
import { RUDDERSTACK_PREFIXES } from '../ingestion/rudderstack/rudderstack-routes.js';
import { segmentErrorBody } from '../ingestion/segment/segment-routes.js';
import { privacyPagesErrorBody } from '../privacy-pages/privacy-pages-routes.js';

export type ErrorBody = (error: RequestError) => unknown;

/** The APIs the router serves, by path prefix, each with its documented error shape (ingestion APIs named, for metrics). */
const FAMILIES: Array<{ prefix: string; errorBody: ErrorBody; ingestionApi?: string }> = [
  { prefix: '/v1', errorBody: segmentErrorBody, ingestionApi: 'segment' },
  // RudderStack's SDK sends Segment's spec to Segment sources: its beacon route counts as Segment ingestion.
  { prefix: RUDDERSTACK_PREFIXES.beacon, errorBody: segmentErrorBody, ingestionApi: 'segment' },
  { prefix: RUDDERSTACK_PREFIXES.sourceConfig, errorBody: segmentErrorBody },
  { prefix: '/v2', errorBody: mparticleErrorBody, ingestionApi: 'mparticle' },
  ...MPARTICLE_WEB_PREFIXES.events.map((prefix) => ({ prefix, errorBody: mparticleErrorBody, ingestionApi: 'mparticle' })),
  { prefix: MPARTICLE_WEB_PREFIXES.config, errorBody: mparticleErrorBody },
  // IDSync documents the Events API's error shape.
  { prefix: IDSYNC_PREFIX, errorBody: mparticleErrorBody, ingestionApi: 'idsync' },
  { prefix: ALIAS_PREFIX, errorBody: mparticleErrorBody, ingestionApi: 'idsync' },
  { prefix: '/admin/v1', errorBody: adminErrorBody },
  { prefix: '/opendsr/v1', errorBody: openDsrErrorBody },
  { prefix: '/privacy', errorBody: privacyPagesErrorBody },
];

/** Paths outside every API (unknown paths, `/health`). */
const routerErrorBody: ErrorBody = (error) => ({ success: false, code: error.code, message: error.message });

/**
 * The error shape of the API a URL belongs to, for answers given before or outside its plugin: unknown
 * routes, bad URLs, malformed HTTP.
 */
export function errorBodyFor(url: string | undefined): ErrorBody {
  return familyOf(url)?.errorBody ?? routerErrorBody;
}

/** The ingestion API (`segment`, `mparticle`, `idsync`) a URL belongs to, or undefined for the other APIs. */
export function ingestionApiOf(url: string | undefined): string | undefined {
  return familyOf(url)?.ingestionApi;
}

function familyOf(url: string | undefined) {
  const path = (url ?? '/').split('?')[0]!;
  return FAMILIES.find((f) => path === f.prefix || path.startsWith(`${f.prefix}/`));
}
