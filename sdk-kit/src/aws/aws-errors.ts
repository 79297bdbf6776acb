import { AuthenticationError, RateLimitedError, type ConnectorError } from '../errors.js';
import { errorForHttpStatus, parseRetryAfter } from '../http-status.js';

/** Error codes AWS services use for throttling, whatever the HTTP status (JSON protocols answer 400). */
const THROTTLING = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
  // Redshift Data API: too many statements or sessions running at once.
  'ActiveStatementsExceededException',
  'ActiveSessionsExceededException',
]);

/** Codes that mean the credentials or their permissions are wrong: retrying will not help until someone fixes them. */
const AUTHENTICATION = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'InvalidAccessKeyId',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'InvalidSignatureException',
  'UnrecognizedClientException',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidToken',
  'MissingAuthenticationTokenException',
]);

export interface AwsErrorDetail {
  code?: string;
  message?: string;
}

/**
 * Reads the error code and message of an AWS error body: the XML `<Error><Code>` of S3 and the query protocols,
 * or the JSON `__type` / `code` and `message` of the JSON protocols (the `x-amzn-errortype` header as fallback).
 */
export function readAwsError(body: unknown, headers: Record<string, string | string[] | undefined> = {}): AwsErrorDetail {
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : typeof body === 'string' ? body : body === undefined ? '' : JSON.stringify(body);
  const xml = (tag: string) => new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(text)?.[1];
  if (text.trimStart().startsWith('<')) return { code: xml('Code'), message: xml('Message') };
  let json: Record<string, unknown> = {};
  try {
    json = (JSON.parse(text) as Record<string, unknown>) ?? {};
  } catch {
    /* not JSON */
  }
  const header = headers['x-amzn-errortype'];
  const raw = String(json.__type ?? json.code ?? json.Code ?? (Array.isArray(header) ? header[0] : header) ?? '');
  // `__type` may be namespaced (`com.amazonaws.redshiftdata#ValidationException`) and the header carries `:` suffixes.
  const code = raw.split('#').pop()!.split(':')[0] || undefined;
  const message = json.message ?? json.Message;
  return { code, message: typeof message === 'string' ? message : undefined };
}

interface HttpErrorShape {
  response?: { statusCode: number; headers: Record<string, string | string[] | undefined>; body?: unknown };
}

/**
 * Maps a failed AWS response (a got HTTPError) to the retry contract: throttling codes → rate limited, credential
 * and permission codes → authentication, otherwise by HTTP status. The detail names `where` and AWS's code and
 * message; request signatures and keys are never part of it. Anything that is not an HTTP error is returned as is.
 */
export function awsError(thrown: unknown, where: string): unknown {
  const response = (thrown as HttpErrorShape | null)?.response;
  if (!response) return thrown;
  const { code, message } = readAwsError(response.body, response.headers);
  const detail = `${where}${code ? `: ${code}` : ''}${message ? ` (${message})` : ''}`;
  const status = response.statusCode;
  const options = { code: code ? `AWS_${code}` : `HTTP_${status}`, httpStatus: status, retryAfterMs: parseRetryAfter(response.headers['retry-after']) };
  let error: ConnectorError | undefined;
  if (code && THROTTLING.has(code)) error = new RateLimitedError(`destination is throttling requests: ${detail}`, options);
  else if (code && AUTHENTICATION.has(code)) error = new AuthenticationError(`destination refused the credentials: ${detail}`, options);
  else error = errorForHttpStatus(status, response.headers, detail);
  return error ?? thrown;
}
