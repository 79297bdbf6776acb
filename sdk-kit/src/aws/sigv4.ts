import { createHash } from 'node:crypto';
import aws4 from 'aws4';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** Present for temporary credentials (STS); sent as x-amz-security-token. */
  sessionToken?: string;
}

export interface AwsRequest {
  method: string;
  url: string | URL;
  /** The headers to send; content-type belongs here when there is a body. */
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** The signing name: `s3`, `redshift-data`, … */
  service: string;
  region: string;
}

export const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** `20150830T123600Z`: SigV4's timestamp form. */
export const amzDate = (date: Date) =>
  date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

/**
 * Signs a request with AWS Signature Version 4 (the `aws4` library) and returns every header to send with it:
 * the caller's, host, x-amz-date, x-amz-content-sha256 (for S3, which requires it), x-amz-security-token for
 * temporary credentials, and authorization. Send exactly these headers and body.
 */
export function signAwsRequest(request: AwsRequest, credentials: AwsCredentials, now: Date = new Date()): Record<string, string> {
  const url = request.url instanceof URL ? request.url : new URL(request.url);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value;
  headers.host ??= url.host;
  headers['x-amz-date'] ??= amzDate(now);
  if (request.service === 's3') headers['x-amz-content-sha256'] ??= sha256Hex(request.body ?? '');
  if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
  const signer = new aws4.RequestSigner(
    {
      method: request.method,
      host: url.host,
      path: `${url.pathname}${url.search}`,
      headers,
      body: request.body,
      service: request.service,
      region: request.region,
      // The headers above are the whole signed set: aws4 would otherwise add a form content-type and a length.
      doNotModifyHeaders: true,
    },
    { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
  );
  signer.datetime = headers['x-amz-date'];
  const signed = signer.sign();
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers ?? {})) out[name.toLowerCase()] = String(value);
  return out;
}
