import { createVerify, generateKeyPairSync } from 'node:crypto';
import type { CapturedRequest, MockResponse } from '@switchyard/sdk-kit/testing';

export const MEASUREMENT_ID = 'G-TEST12345';
export const API_SECRET = 'ga4-api-secret-0123456789';
export const PROPERTY_ID = '123456789';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
export const SERVICE_ACCOUNT_KEY = JSON.stringify({
  type: 'service_account',
  client_email: 'switchyard@project.iam.gserviceaccount.com',
  private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
});
const ACCESS_TOKEN = 'ya29.test-access-token';

/**
 * /mp/collect as Google runs it: 2xx whatever the body; it keeps (in `kept`) only requests with the stream's
 * measurement_id and api_secret, a client_id and 1–25 events, and only events whose names follow the rules.
 */
export function collectApi(kept: Array<{ client_id: string; user_id?: string; event: Record<string, unknown> }> = []) {
  return (request: CapturedRequest): MockResponse => {
    const url = new URL(request.url);
    const body = request.body as { client_id?: string; user_id?: string; events?: Array<Record<string, unknown>> };
    const valid =
      url.pathname === '/mp/collect' &&
      url.searchParams.get('measurement_id') === MEASUREMENT_ID &&
      url.searchParams.get('api_secret') === API_SECRET &&
      typeof body?.client_id === 'string' &&
      Array.isArray(body.events) &&
      body.events.length >= 1 &&
      body.events.length <= 25;
    if (valid) {
      for (const event of body.events!) {
        if (/^[A-Za-z][A-Za-z0-9_]{0,39}$/.test(String(event.name)) && Object.keys((event.params as object) ?? {}).length <= 25) {
          kept.push({ client_id: body.client_id!, ...(body.user_id ? { user_id: body.user_id } : {}), event });
        }
      }
    }
    return { status: 204 };
  };
}

/** Google's token endpoint: a JWT-bearer assertion signed by the service account's key, for the analytics.edit scope. */
export function tokenApi(request: CapturedRequest): MockResponse {
  const form = new URLSearchParams(String(request.body));
  const [header, claims, signature] = (form.get('assertion') ?? '').split('.');
  const signed = Boolean(signature) && createVerify('RSA-SHA256').update(`${header}.${claims}`).verify(publicKey, Buffer.from(signature!, 'base64url'));
  const scope = signed ? (JSON.parse(Buffer.from(claims!, 'base64url').toString()) as { scope?: string }).scope : undefined;
  if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer' || !signed) {
    return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' } };
  }
  if (scope !== 'https://www.googleapis.com/auth/analytics.edit') return { status: 400, body: { error: 'invalid_scope' } };
  return { status: 200, body: { access_token: ACCESS_TOKEN, expires_in: 3599, token_type: 'Bearer' } };
}

/** The Admin API's submitUserDeletion: the access token, the property, exactly one identifier. */
export function adminApi(request: CapturedRequest): MockResponse {
  if (request.headers.authorization !== `Bearer ${ACCESS_TOKEN}`)
    return { status: 401, body: { error: { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' } } };
  if (new URL(request.url).pathname !== `/v1alpha/properties/${PROPERTY_ID}:submitUserDeletion`)
    return { status: 404, body: { error: { code: 404, message: 'not found', status: 'NOT_FOUND' } } };
  const ids = Object.keys((request.body as object) ?? {}).filter((k) => ['userId', 'clientId', 'appInstanceId', 'userProvidedData'].includes(k));
  if (ids.length !== 1) return { status: 400, body: { error: { code: 400, message: 'exactly one user identifier is required', status: 'INVALID_ARGUMENT' } } };
  return { status: 200, body: { deletionRequestTime: new Date().toISOString() } };
}
