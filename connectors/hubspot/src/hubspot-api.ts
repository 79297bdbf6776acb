import { errorForHttpStatus, RateLimitedError, parseRetryAfter, type PerformContext } from '@switchyard/sdk-kit';

export const API = 'https://api.hubapi.com';
export type Context = Pick<PerformContext<{ accessToken: string }, unknown>, 'http' | 'settings' | 'signal'>;

interface HubSpotErrorBody {
  status?: string;
  message?: string;
  category?: string;
  policyName?: string;
}

/** How long each of HubSpot's rate-limit policies lasts, for a 429 that sends no Retry-After. */
const POLICY_WINDOW_MS: Record<string, number> = { SECONDLY: 1000, TEN_SECONDLY_ROLLING: 10_000, DAILY: 3_600_000 };

/** Maps a failed HubSpot response to the retry contract, with HubSpot's category and message as the detail. */
export function hubspotError(thrown: unknown, where: string): unknown {
  const response = (thrown as { response?: { statusCode: number; headers: Record<string, string | string[] | undefined>; body?: unknown } } | null)?.response;
  if (!response) return thrown;
  let body: HubSpotErrorBody = typeof response.body === 'object' && response.body !== null ? (response.body as HubSpotErrorBody) : {};
  try {
    if (typeof response.body === 'string') body = JSON.parse(response.body) as HubSpotErrorBody;
  } catch {
    /* not JSON */
  }
  const detail = `HubSpot ${where}${body.category ? `: ${body.category}` : ''}${body.message ? ` (${body.message})` : ''}`;
  if (response.statusCode === 429) {
    return new RateLimitedError(`destination answered HTTP 429: ${detail}`, {
      code: 'HTTP_429',
      httpStatus: 429,
      retryAfterMs: parseRetryAfter(response.headers['retry-after']) ?? POLICY_WINDOW_MS[body.policyName ?? ''] ?? 10_000,
    });
  }
  return errorForHttpStatus(response.statusCode, response.headers, detail) ?? thrown;
}

/** POSTs JSON to the API with the private app token; returns the status and parsed body. */
export async function post<T>(ctx: Context, path: string, json: unknown, where: string): Promise<{ statusCode: number; body: T }> {
  try {
    const response = await ctx.http.post(`${API}${path}`, {
      json,
      headers: { authorization: `Bearer ${ctx.settings.accessToken}` },
      responseType: 'json',
      signal: ctx.signal,
    });
    return { statusCode: response.statusCode, body: response.body as T };
  } catch (error) {
    throw hubspotError(error, where);
  }
}
