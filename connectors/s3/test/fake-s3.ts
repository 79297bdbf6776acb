import { gunzipSync } from 'node:zlib';
import { verifyAwsSignature, type CapturedRequest, type MockResponse } from '@switchyard/sdk-kit/testing';

export const ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
export const SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

const xmlError = (status: number, code: string, message: string): MockResponse => ({
  status,
  headers: { 'content-type': 'application/xml', 'x-amz-request-id': 'req-1' },
  body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>req-1</RequestId></Error>`,
});

/**
 * A stand-in for S3's PutObject as documented (path-style `/<bucket>/<key>` or virtual-hosted `<bucket>.<host>/<key>`):
 * refuses what S3 refuses (a signature that does not verify, a payload hash that is not the body's, an unknown
 * bucket, a missing Content-Length) with S3's XML errors, and keeps what it accepted.
 */
export function createFakeS3(buckets: string[], options: { pathStyleHost?: string } = {}) {
  const objects = new Map<string, { bytes: Buffer; contentType?: string }>();
  function respond(request: CapturedRequest): MockResponse {
    const url = new URL(request.url);
    const virtual = options.pathStyleHost === undefined || url.host !== options.pathStyleHost;
    const [bucket, ...key] = virtual ? [url.hostname.split('.')[0]!, ...url.pathname.slice(1).split('/')] : url.pathname.slice(1).split('/');
    const problem = verifyAwsSignature(request, { [ACCESS_KEY_ID]: SECRET_ACCESS_KEY });
    if (problem) return xmlError(problem.code === 'XAmzContentSHA256Mismatch' ? 400 : 403, problem.code, problem.message);
    if (request.method !== 'PUT') return xmlError(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
    if (!buckets.includes(bucket!)) return xmlError(404, 'NoSuchBucket', 'The specified bucket does not exist');
    if (request.headers['content-length'] === undefined) return xmlError(411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.');
    objects.set(`${bucket}/${key.map(decodeURIComponent).join('/')}`, { bytes: request.bytes, contentType: request.headers['content-type'] });
    return { status: 200, headers: { etag: '"9b2cf535f27731c974343645a3985328"' }, body: '' };
  }
  /** The events of each stored object, keyed by bucket/key. */
  const lines = () =>
    new Map(
      [...objects].map(([key, o]) => [
        key,
        gunzipSync(o.bytes)
          .toString('utf8')
          .trimEnd()
          .split('\n')
          .map((l) => JSON.parse(l)),
      ]),
    );
  return { objects, respond, lines };
}
