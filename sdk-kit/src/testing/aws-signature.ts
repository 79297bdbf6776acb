import { createHash, createHmac } from 'node:crypto';

/** The parts of a request a SigV4 check needs (a CapturedRequest has them). */
export interface SignedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** The body bytes as sent. */
  bytes?: Buffer;
}

export interface SignatureProblem {
  /** The error code AWS answers with: IncompleteSignature, InvalidAccessKeyId, XAmzContentSHA256Mismatch, SignatureDoesNotMatch. */
  code: string;
  message: string;
}

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
/** RFC 3986 percent-encoding of everything but unreserved characters, as SigV4 requires. */
const encode = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const decode = (text: string) => decodeURIComponent(text.replace(/\+/g, ' '));

function canonicalUri(pathname: string, service: string): string {
  const once = pathname.split('/').map((segment) => encode(decode(segment)));
  // Every service but S3 signs the path encoded twice.
  return (service === 's3' ? once : once.map(encode)).join('/') || '/';
}

function canonicalQuery(search: string): string {
  if (search.length <= 1) return '';
  return search
    .slice(1)
    .split('&')
    .map((pair) => {
      const [key = '', value = ''] = pair.split(/=(.*)/s);
      return [encode(decode(key)), encode(decode(value))] as const;
    })
    .sort(([ak, av], [bk, bv]) => (ak === bk ? (av < bv ? -1 : 1) : ak < bk ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/**
 * Checks a request's AWS Signature Version 4 the way an AWS service does, written from the published
 * specification independently of the signer connectors use, so a test stub can refuse what AWS would refuse.
 * `secrets` maps access key ids to their secret keys. Returns the problem, or undefined when the signature holds.
 */
export function verifyAwsSignature(request: SignedRequest, secrets: Record<string, string>): SignatureProblem | undefined {
  const authorization = request.headers.authorization ?? '';
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(
    authorization,
  );
  if (!match) return { code: 'IncompleteSignature', message: `authorization header is not a SigV4 header: ${authorization.slice(0, 40)}` };
  const [, accessKeyId, day, region, service, signedHeaders, signature] = match as unknown as string[];
  const secret = secrets[accessKeyId!];
  if (secret === undefined) return { code: 'InvalidAccessKeyId', message: `unknown access key id ${accessKeyId}` };
  const date = request.headers['x-amz-date'] ?? '';
  if (!/^\d{8}T\d{6}Z$/.test(date) || date.slice(0, 8) !== day)
    return { code: 'IncompleteSignature', message: `x-amz-date "${date}" does not match the credential scope` };
  const names = signedHeaders!.split(';');
  for (const required of ['host', 'x-amz-date']) {
    if (!names.includes(required)) return { code: 'IncompleteSignature', message: `${required} is not a signed header` };
  }
  const bodyHash = sha256(request.bytes ?? '');
  const declared = request.headers['x-amz-content-sha256'];
  if (service === 's3' && declared !== bodyHash && declared !== 'UNSIGNED-PAYLOAD') {
    return { code: 'XAmzContentSHA256Mismatch', message: "x-amz-content-sha256 is not the body's SHA-256" };
  }
  const url = new URL(request.url);
  const canonicalHeaders = names.map((name) => `${name}:${(request.headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonicalRequest = [
    request.method.toUpperCase(),
    canonicalUri(url.pathname, service!),
    canonicalQuery(url.search),
    canonicalHeaders,
    signedHeaders,
    service === 's3' ? declared : bodyHash,
  ].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', date, scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day!), region!), service!), 'aws4_request');
  const expected = hmac(key, stringToSign).toString('hex');
  return expected === signature
    ? undefined
    : { code: 'SignatureDoesNotMatch', message: `signature does not match; canonical request was:\n${canonicalRequest}` };
}
