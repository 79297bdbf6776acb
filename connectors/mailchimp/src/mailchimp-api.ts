import { createHash } from 'node:crypto';
import { errorForHttpStatus, type PerformContext } from '@switchyard/sdk-kit';
import type { MailchimpSettings } from './settings.js';

export type Context = Pick<PerformContext<MailchimpSettings, unknown>, 'http' | 'settings' | 'signal' | 'log'>;

/** API keys end in their data centre (`…-us21`); the API lives at `<dc>.api.mailchimp.com`. */
export const dataCenterOf = (apiKey: string) => apiKey.slice(apiKey.lastIndexOf('-') + 1);
export const apiHost = (apiKey: string) => `${dataCenterOf(apiKey)}.api.mailchimp.com`;

/** Members are addressed by the MD5 of the lower-cased email. */
export const subscriberHash = (email: string) => createHash('md5').update(email.trim().toLowerCase(), 'utf8').digest('hex');

interface HttpErrorShape {
  response?: { statusCode: number; headers: Record<string, string | string[] | undefined>; body?: unknown };
}

/** Mailchimp's problem body: `{ "title": "Member Exists", "status": 400, "detail": "…" }`. */
export function mailchimpError(thrown: unknown, where: string): unknown {
  const response = (thrown as HttpErrorShape | null)?.response;
  if (!response) return thrown;
  let problem: { title?: string; detail?: string } = {};
  try {
    problem = JSON.parse(String(response.body));
  } catch {
    /* not JSON */
  }
  const detail = [problem.title, problem.detail].filter(Boolean).join(': ');
  return errorForHttpStatus(response.statusCode, response.headers, `Mailchimp ${where}${detail ? ` — ${detail}` : ''}`) ?? thrown;
}

/** Calls `https://<dc>.api.mailchimp.com/3.0<path>` with basic auth (any user name, the API key as password). */
export async function call<T>(ctx: Context, method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const { apiKey } = ctx.settings;
  try {
    const response = await ctx.http(`https://${apiHost(apiKey)}/3.0${path}`, {
      method,
      ...(body === undefined ? {} : { json: body }),
      headers: { authorization: `Basic ${Buffer.from(`switchyard:${apiKey}`).toString('base64')}` },
      signal: ctx.signal,
    });
    return (response.body ? JSON.parse(String(response.body)) : undefined) as T;
  } catch (error) {
    throw mailchimpError(error, `${method} ${path}`);
  }
}
