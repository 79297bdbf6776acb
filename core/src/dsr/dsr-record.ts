import type { DsrRecord, OpenDsrRequestBody } from './dsr-types.js';

/** A request as received: pending, due `expectedCompletionMs` from now, its results served under `resultsBaseUrl`. */
export function newDsrRecord(request: OpenDsrRequestBody, expectedCompletionMs: number, resultsBaseUrl: string, now = new Date()): DsrRecord {
  return {
    id: request.subject_request_id,
    request,
    status: 'pending',
    receivedAt: now.toISOString(),
    expectedCompletionAt: new Date(now.getTime() + expectedCompletionMs).toISOString(),
    updatedAt: now.toISOString(),
    connections: {},
    resultsBaseUrl,
  };
}
