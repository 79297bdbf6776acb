import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { bearerAuth } from '../auth/bearer-auth.js';
import { INPUT_LIMITS } from '../http-input/input-limits.js';
import { registerJsonBody } from '../http-input/json-body.js';
import type { DsrProcessor } from './dsr-processor.js';
import type { DsrStore } from './dsr-store.js';
import { newDsrRecord } from './dsr-record.js';
import { OPENDSR_API_VERSION } from './dsr-types.js';
import { openDsrError, openDsrErrorBody, validateOpenDsrRequest } from './opendsr-validation.js';
import type { DsrSigner } from './signing.js';
import { OPENDSR_IDENTITY_TYPES, SUPPORTED_FORMATS } from './subject-identities.js';

export interface OpenDsrRoutesOptions {
  tokens: () => readonly string[];
  store: DsrStore;
  processor: DsrProcessor;
  signer: DsrSigner;
  /** Public base URL for results and the certificate; taken from the request's Host when absent. */
  publicUrl?: string;
  /** How long after receipt a request is expected to complete (reported to controllers). */
  expectedCompletionMs: number;
}

/** OpenDSR processor endpoints under /opendsr/v1 (discovery, requests, status, cancel, results, certificate). */
export const openDsrRoutes: FastifyPluginAsync<OpenDsrRoutesOptions> = async (app: FastifyInstance, options) => {
  const baseUrl = (request: FastifyRequest) => options.publicUrl ?? `${request.protocol}://${request.headers.host ?? 'localhost'}`;
  const sendSigned = (reply: FastifyReply, status: number, body: unknown) => {
    const raw = JSON.stringify(body);
    return reply
      .code(status)
      .headers({ 'content-type': 'application/json', ...options.signer.headersFor(raw) })
      .send(raw);
  };
  const auth = bearerAuth(options.tokens, (status, message) => openDsrError(status, message));
  const asRequestError = registerJsonBody(app, { maxBytes: INPUT_LIMITS.opendsr.maxBodyBytes, contentTypes: ['application/json'], tooLargeStatus: 413 });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const known = asRequestError(error, request);
    if (known) return sendSigned(reply, known.statusCode, openDsrErrorBody(known));
    request.log.error({ err: error }, 'OpenDSR request failed');
    return sendSigned(reply, 500, openDsrError(500, 'internal error'));
  });

  app.get('/discovery', async (request, reply) =>
    sendSigned(reply, 200, {
      api_version: OPENDSR_API_VERSION,
      supported_identities: OPENDSR_IDENTITY_TYPES.flatMap((type) => SUPPORTED_FORMATS.map((format) => ({ identity_type: type, identity_format: format }))),
      supported_subject_request_types: ['erasure', 'access', 'portability'],
      processor_certificate: `${baseUrl(request)}/opendsr/v1/certificate.pem`,
    }),
  );

  app.get('/certificate.pem', async (_request, reply) => reply.type('application/x-pem-file').send(options.signer.certificatePem));

  app.post('/requests', { onRequest: auth }, async (request, reply) => {
    const checked = validateOpenDsrRequest(request.body);
    if (!checked.ok) return sendSigned(reply, checked.code, openDsrError(checked.code, checked.message, checked.details));
    const body = checked.request;
    const record = newDsrRecord(body, options.expectedCompletionMs, baseUrl(request));
    // Refused when the id exists, also when another router sharing the store took it a moment before.
    if (!(await options.processor.accept(record))) {
      return sendSigned(
        reply,
        409,
        openDsrError(409, `subject_request_id ${body.subject_request_id} was already submitted`, [
          { reason: 'Duplicate', message: 'subject_request_id must be unique' },
        ]),
      );
    }
    return sendSigned(reply, 201, {
      controller_id: 'switchyard',
      expected_completion_time: record.expectedCompletionAt,
      received_time: record.receivedAt,
      encoded_request: Buffer.from(JSON.stringify(request.body)).toString('base64'),
      subject_request_id: record.id,
    });
  });

  app.get<{ Params: { id: string } }>('/requests/:id', { onRequest: auth }, async (request, reply) => {
    const record = await options.store.get(request.params.id);
    if (!record) return sendSigned(reply, 404, openDsrError(404, `no request ${request.params.id}`));
    return sendSigned(reply, 200, options.processor.statusBody(record));
  });

  app.delete<{ Params: { id: string } }>('/requests/:id', { onRequest: auth }, async (request, reply) => {
    const existing = await options.store.get(request.params.id);
    if (!existing) return sendSigned(reply, 404, openDsrError(404, `no request ${request.params.id}`));
    const cancelled = await options.processor.cancel(request.params.id);
    if (!cancelled) {
      const now = (await options.store.get(request.params.id))?.status ?? existing.status;
      return sendSigned(
        reply,
        400,
        openDsrError(400, `request ${request.params.id} is ${now === 'pending' ? 'starting' : now}; only pending requests can be cancelled`, [
          { reason: 'NotPending', message: 'only pending requests can be cancelled' },
        ]),
      );
    }
    return sendSigned(reply, 202, {
      controller_id: 'switchyard',
      subject_request_id: cancelled.id,
      received_time: new Date().toISOString(),
      api_version: OPENDSR_API_VERSION,
    });
  });

  app.get<{ Params: { token: string } }>('/results/:token', async (request, reply) => {
    const record = await options.store.byResultsToken(request.params.token);
    const results = record && (await options.processor.openResults(request.params.token));
    if (!record || !results) return reply.code(404).send(openDsrError(404, 'no results at this address'));
    if (record.resultsExpireAt && Date.parse(record.resultsExpireAt) < Date.now()) {
      results.destroy();
      return reply.code(410).send(openDsrError(410, 'these results have expired; submit a new access or portability request'));
    }
    return reply.type('application/x-ndjson').header('content-disposition', `attachment; filename="${record.id}.jsonl"`).send(results);
  });
};
