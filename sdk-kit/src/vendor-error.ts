import { errorForHttpStatus } from './http-status.js';

interface HttpErrorShape {
  response?: { statusCode?: number; headers?: Record<string, string | string[] | undefined>; body?: unknown };
}

/** The status and parsed JSON body (undefined when not JSON) of an HTTP error thrown by `ctx.http`; undefined for other errors. */
export function httpErrorResponse(thrown: unknown): { status: number; headers: Record<string, string | string[] | undefined>; body: unknown } | undefined {
  const response = (thrown as HttpErrorShape | null)?.response;
  if (response?.statusCode === undefined) return undefined;
  let body: unknown = response.body;
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    try {
      body = JSON.parse(String(body));
    } catch {
      body = undefined;
    }
  }
  return { status: response.statusCode, headers: response.headers ?? {}, body };
}

/**
 * Maps an HTTP error from `ctx.http` to the retry contract by its status (`errorForHttpStatus`, Retry-After
 * included), with `where` and the vendor's own explanation, read from its error body by `reason`, as the detail.
 * Anything else is returned as thrown.
 */
export function vendorHttpError(thrown: unknown, where: string, reason: (body: unknown) => string | undefined | null): unknown {
  const response = httpErrorResponse(thrown);
  if (!response) return thrown;
  let explanation: string | undefined | null;
  try {
    explanation = response.body === undefined ? undefined : reason(response.body);
  } catch {
    explanation = undefined;
  }
  return errorForHttpStatus(response.status, response.headers, `${where}${explanation ? `: ${explanation}` : ''}`) ?? thrown;
}
