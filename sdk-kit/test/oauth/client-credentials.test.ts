import nock from 'nock';
import { got } from 'got';
import { classifyError, clientCredentialsToken, forgetClientCredentialsToken } from '../../src/index.js';

const TOKEN_URL = 'https://tenant.auth.example.com/v2/token';
const grant = {
  tokenUrl: TOKEN_URL,
  vendor: 'Example',
  clientId: 'client-1',
  clientSecret: 'secret-1',
  extra: { account_id: '42' },
  encoding: 'json' as const,
};

afterEach(() => nock.cleanAll());

test('fetches a token with the client credentials, caches it per connection, and fetches again once forgotten', async () => {
  const bodies: unknown[] = [];
  nock('https://tenant.auth.example.com')
    .post('/v2/token')
    .times(2)
    .reply(200, (_uri, body) => {
      bodies.push(body);
      return { access_token: `t-${bodies.length}`, expires_in: 1080, rest_instance_url: 'https://tenant.rest.example.com/' };
    });
  const ctx = { http: got.extend({}) };
  expect(await clientCredentialsToken(ctx, grant)).toMatchObject({ access_token: 't-1', rest_instance_url: 'https://tenant.rest.example.com/' });
  expect((await clientCredentialsToken(ctx, grant)).access_token).toBe('t-1');
  expect(bodies).toEqual([{ grant_type: 'client_credentials', client_id: 'client-1', client_secret: 'secret-1', account_id: '42' }]);
  forgetClientCredentialsToken(ctx, grant);
  expect((await clientCredentialsToken(ctx, grant)).access_token).toBe('t-2');
});

test('a token about to expire is replaced, and form encoding is the default', async () => {
  let form = '';
  nock('https://tenant.auth.example.com')
    .post('/v2/token')
    .times(2)
    .reply(200, (_uri, body) => {
      form = String(body);
      return { access_token: 'short', expires_in: 30 };
    });
  const ctx = { http: got.extend({}) };
  const { encoding: _json, ...formGrant } = grant;
  await clientCredentialsToken(ctx, formGrant);
  expect(form).toBe('grant_type=client_credentials&client_id=client-1&client_secret=secret-1&account_id=42');
  await clientCredentialsToken(ctx, formGrant);
  expect(nock.isDone()).toBe(true);
});

test('a refused client is an authentication failure that names the vendor, never the secret', async () => {
  nock('https://tenant.auth.example.com').post('/v2/token').reply(401, { error: 'invalid_client', error_description: 'Invalid client ID.' });
  const error = await clientCredentialsToken({ http: got.extend({ retry: { limit: 0 } }) }, grant).catch((e: unknown) => e);
  const result = classifyError(error);
  expect(result).toMatchObject({
    status: 'authentication',
    code: 'OAUTH_INVALID_CLIENT',
    message: expect.stringContaining('Example OAuth refused the client credentials'),
  });
  expect(result.message).not.toContain('secret-1');
});
