import { AuthenticationError, PermanentError, RateLimitedError, RetryableError, type ConnectorError } from '@switchyard/sdk-kit';

/** TikTok's response envelope: HTTP 200 with `code` 0 on success and a non-zero `code` on errors. */
export interface TikTokResponse {
  code?: number;
  message?: string;
  request_id?: string;
}

const RATE_LIMITED = 40100;
// 40001: no permission for the pixel; 40101–40109: access token missing, expired, revoked or wrong.
const isAuthCode = (code: number) => code === 40001 || (code > RATE_LIMITED && code <= 40109);

/** Maps a non-zero TikTok `code` to the retry contract; 5xxxx are TikTok-side failures worth retrying. */
export function tikTokError(response: TikTokResponse): ConnectorError {
  const code = Number(response.code);
  const message = `TikTok code ${code}: ${response.message ?? 'no message'}${response.request_id ? ` (request_id ${response.request_id})` : ''}`;
  const options = { code: `TIKTOK_${code}` };
  if (code === RATE_LIMITED) return new RateLimitedError(message, options);
  if (isAuthCode(code)) return new AuthenticationError(`${message}; check the access token and its pixel permissions`, options);
  if (code >= 50000) return new RetryableError(message, options);
  return new PermanentError(message, options);
}
