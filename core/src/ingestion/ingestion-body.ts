import type { FastifyError, FastifyInstance } from 'fastify';
import { registerJsonBody } from '../http-input/json-body.js';
import type { RequestError } from '../http-input/request-error.js';
import { failureOf } from './ingestion-error.js';

/** What the SDKs label their JSON as: RudderStack's node SDK posts gzipped JSON labelled as a form. */
const SDK_CONTENT_TYPES = ['application/json', 'text/plain', 'application/octet-stream', 'application/x-www-form-urlencoded'];

/**
 * The body reader and error handler of an ingestion API: bodies up to `maxBytes` in any content type the SDKs
 * send (a body that is not JSON still fails as JSON), every error answered in the API's own shape.
 */
export function registerIngestionBody(
  app: FastifyInstance,
  maxBytes: number,
  errorBody: (error: RequestError) => unknown,
  exactIntegerKeys?: readonly string[],
): void {
  const asRequestError = registerJsonBody(app, {
    maxBytes,
    contentTypes: SDK_CONTENT_TYPES,
    tooLargeStatus: 400,
    ...(exactIntegerKeys ? { exactIntegerKeys } : {}),
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const known = asRequestError(error, request);
    if (!known) request.log.error({ err: error }, 'ingestion failed');
    const answer = known ?? failureOf(error);
    request.rejection = answer.code;
    return reply.code(answer.statusCode).send(errorBody(answer));
  });
}
