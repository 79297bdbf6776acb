import type { PerformContext } from '@switchyard/sdk-kit';
import { requestError } from './ads-errors.js';
import { accessToken, forgetAccessToken } from './oauth.js';
import type { GoogleAdsSettings } from './settings.js';

export type AdsSettings = Pick<
  GoogleAdsSettings,
  'customerId' | 'loginCustomerId' | 'developerToken' | 'clientId' | 'clientSecret' | 'refreshToken' | 'apiVersion'
>;

export type AdsContext = Pick<PerformContext<AdsSettings, unknown>, 'http' | 'settings' | 'signal' | 'log'>;

export const ADS_HOST = 'googleads.googleapis.com';

/** Customer ids are entered as 123-456-7890 in the UI; the API wants the digits. */
export const digitsOf = (customerId: string) => customerId.replace(/-/g, '');

interface HttpErrorShape {
  response?: { statusCode: number; headers: Record<string, string | string[] | undefined>; body?: unknown };
}

/** POSTs to the Google Ads REST API with the OAuth token and the developer-token / login-customer-id headers. */
export async function adsPost<T>(ctx: AdsContext, path: string, body: unknown): Promise<T> {
  const { apiVersion, developerToken, loginCustomerId } = ctx.settings;
  const send = async () =>
    ctx.http
      .post(`https://${ADS_HOST}/${apiVersion}/${path}`, {
        json: body,
        headers: {
          authorization: `Bearer ${await accessToken(ctx)}`,
          'developer-token': developerToken,
          ...(loginCustomerId ? { 'login-customer-id': digitsOf(loginCustomerId) } : {}),
        },
        signal: ctx.signal,
      })
      .json<T>();
  try {
    return await send();
  } catch (error) {
    let failure = error;
    // A token revoked or expired early: fetch a new one once before calling it an authentication failure.
    if ((error as HttpErrorShape).response?.statusCode === 401) {
      forgetAccessToken(ctx);
      try {
        return await send();
      } catch (again) {
        failure = again;
      }
    }
    const response = (failure as HttpErrorShape).response;
    if (!response) throw failure;
    throw requestError(response.body, response.statusCode, response.headers) ?? failure;
  }
}
