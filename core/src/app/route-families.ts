import { adminErrorBody } from '../admin/admin-routes.js';
import { openDsrErrorBody } from '../dsr/opendsr-validation.js';
import type { RequestError } from '../http-input/request-error.js';
import { IDSYNC_PREFIX } from '../identity/idsync-routes.js';
import { mparticleErrorBody } from '../ingestion/mparticle/mparticle-routes.js';
import { segmentErrorBody } from '../ingestion/segment/segment-routes.js';

export type ErrorBody = (error: RequestError) => unknown;

/** The APIs the router serves, by path prefix, each with its documented error shape. */
const FAMILIES: Array<{ prefix: string; errorBody: ErrorBody }> = [
  { prefix: '/v1', errorBody: segmentErrorBody },
  { prefix: '/v2', errorBody: mparticleErrorBody },
  // IDSync documents the Events API's error shape.
  { prefix: IDSYNC_PREFIX, errorBody: mparticleErrorBody },
  { prefix: '/admin/v1', errorBody: adminErrorBody },
  { prefix: '/opendsr/v1', errorBody: openDsrErrorBody },
];

/** Paths outside every API (unknown paths, `/health`). */
const routerErrorBody: ErrorBody = (error) => ({ success: false, code: error.code, message: error.message });

/**
 * The error shape of the API a URL belongs to, for answers given before or outside its plugin: unknown
 * routes, bad URLs, malformed HTTP.
 */
export function errorBodyFor(url: string | undefined): ErrorBody {
  const path = (url ?? '/').split('?')[0]!;
  return FAMILIES.find((f) => path === f.prefix || path.startsWith(`${f.prefix}/`))?.errorBody ?? routerErrorBody;
}
