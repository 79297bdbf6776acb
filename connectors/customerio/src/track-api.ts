import { vendorHttpError, type PerformContext } from '@switchyard/sdk-kit';
import { trackHost, type CustomerIoSettings } from './settings.js';

type Context = Pick<PerformContext<CustomerIoSettings, unknown>, 'http' | 'settings' | 'signal'>;

/** Customer.io explains a refused request in `meta.error` (or `meta.errors`). */
const reason = (body: unknown) => {
  const meta = (body as { meta?: { error?: string; errors?: string[] } }).meta;
  return meta?.error ?? meta?.errors?.join('; ');
};

/** One Track API call with the site ID and API key as basic auth; failures mapped to the retry contract. */
export async function callTrackApi(ctx: Context, method: 'PUT' | 'POST' | 'DELETE', path: string, json?: Record<string, unknown>): Promise<void> {
  const basic = Buffer.from(`${ctx.settings.siteId}:${ctx.settings.apiKey}`).toString('base64');
  try {
    await ctx.http(`https://${trackHost(ctx.settings)}/api/v1/${path}`, {
      method,
      ...(json ? { json } : {}),
      headers: { authorization: `Basic ${basic}` },
      signal: ctx.signal,
    });
  } catch (thrown) {
    throw vendorHttpError(thrown, `Customer.io ${method} /api/v1/${path.split('/')[0]}`, reason);
  }
}

export const customerPath = (id: string, rest = '') => `customers/${encodeURIComponent(id)}${rest}`;
