import nock from 'nock';
import { checkManifest } from '@switchyard/sdk-kit';
import connector from '../src/index.js';
import { connect, makeEvent, run, runDelete, sha256 } from './helpers.js';

const SECRETS = { developerToken: 'dev-token-abcdef', clientSecret: 'client-secret-xyz', refreshToken: '1//refresh-token-123' };
const base = {
  customerId: '123-456-7890', loginCustomerId: '999-888-7777', clientId: 'client-1.apps.googleusercontent.com',
  apiVersion: 'v25', ...SECRETS,
};
const matchSettings = { ...base, userListId: '555', adUserDataConsent: 'GRANTED', adPersonalizationConsent: 'GRANTED' };
const ADS = 'https://googleads.googleapis.com';
const JOB = 'customers/1234567890/offlineUserDataJobs/42';
const failure = (listName: string, index: number, errorCode: Record<string, string>, message = 'bad') => ({
  code: 3, message: 'Multiple errors in ‘details’.',
  details: [{
    '@type': 'type.googleapis.com/google.ads.googleads.v25.errors.GoogleAdsFailure',
    errors: [{ errorCode, message, location: { fieldPathElements: [{ fieldName: listName, index }, { fieldName: 'user_identifiers', index: 0 }] } }],
    requestId: 'req-1',
  }],
});

beforeAll(() => { nock.disableNetConnect(); nock.enableNetConnect('127.0.0.1'); });
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

function expectToken(times = 1) {
  const forms: Record<string, string>[] = [];
  const scope = nock('https://oauth2.googleapis.com')
    .post('/token', (body) => { forms.push(body); return true; })
    .times(times)
    .reply(200, { access_token: 'ya29.access', expires_in: 3599, token_type: 'Bearer' });
  return { scope, forms };
}

/** Intercepts create → addOperations → run, checking the auth headers on each, and records the bodies. */
function expectJob(addReply: nock.Body = {}, { run = true } = {}) {
  const bodies: Record<string, any> = {};
  const headers = { reqheaders: { authorization: 'Bearer ya29.access', 'developer-token': SECRETS.developerToken, 'login-customer-id': '9998887777' } };
  const scope = nock(ADS, headers)
    .post('/v25/customers/1234567890/offlineUserDataJobs:create', (b) => { bodies.create = b; return true; })
    .reply(200, { resourceName: JOB })
    .post(`/v25/${JOB}:addOperations`, (b) => { bodies.add = b; return true; })
    .reply(200, addReply);
  if (run) scope.post(`/v25/${JOB}:run`, (b) => { bodies.run = b; return true; }).reply(200, { name: 'customers/1234567890/operations/7' });
  return { scope, bodies };
}

const entered = (messageId: string, traits: Record<string, unknown>, event = 'Audience Entered') =>
  makeEvent({ messageId, event, traits, properties: { audience_key: 'vip' } });

test('the manifest passes the router\'s checks', () => {
  expect(checkManifest(connector)).toEqual([]);
});

test('adds entered users through an OfflineUserDataJob with hashed identifiers, then runs it', async () => {
  const token = expectToken();
  const { scope, bodies } = expectJob();
  const results = await run(connect(connector, matchSettings), [
    entered('m1', { email: ' John.Smith@Gmail.com ', phone: '+1 (650) 555-1212' }),
    entered('m2', { email: 'ann@example.com', firstName: ' Ann ', lastName: 'Lee', address: { country: 'us', postalCode: '94103' } }),
  ]);
  token.scope.done();
  scope.done();
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }]);
  expect(token.forms[0]).toEqual({
    grant_type: 'refresh_token', client_id: base.clientId, client_secret: SECRETS.clientSecret, refresh_token: SECRETS.refreshToken,
  });
  expect(bodies.create).toEqual({
    job: {
      type: 'CUSTOMER_MATCH_USER_LIST',
      customerMatchUserListMetadata: {
        userList: 'customers/1234567890/userLists/555', consent: { adUserData: 'GRANTED', adPersonalization: 'GRANTED' },
      },
    },
  });
  expect(bodies.add).toEqual({
    enablePartialFailure: true,
    operations: [
      { create: { userIdentifiers: [{ hashedEmail: sha256('johnsmith@gmail.com') }, { hashedPhoneNumber: sha256('+16505551212') }] } },
      { create: { userIdentifiers: [
        { hashedEmail: sha256('ann@example.com') },
        { addressInfo: { hashedFirstName: sha256('ann'), hashedLastName: sha256('lee'), countryCode: 'US', postalCode: '94103' } },
      ] } },
    ],
  });
  expect(bodies.run).toEqual({});
});

test('removes exited users in a job of their own and fails only the operations Google refused', async () => {
  expectToken();
  const create = expectJob();
  const remove = { bodies: {} as Record<string, any> };
  nock(ADS)
    .post('/v25/customers/1234567890/offlineUserDataJobs:create').reply(200, { resourceName: 'customers/1234567890/offlineUserDataJobs/43' })
    .post('/v25/customers/1234567890/offlineUserDataJobs/43:addOperations', (b) => { remove.bodies.add = b; return true; })
    .reply(200, { partialFailureError: failure('operations', 1, { offlineUserDataJobError: 'INVALID_SHA256_FORMAT' }) })
    .post('/v25/customers/1234567890/offlineUserDataJobs/43:run').reply(200, {});
  const results = await run(connect(connector, matchSettings), [
    entered('m1', { email: 'a@example.com' }),
    entered('m2', { email: 'b@example.com' }, 'Audience Exited'),
    entered('m3', { email: 'c@example.com' }, 'Audience Exited'),
  ]);
  expect(nock.isDone()).toBe(true);
  expect(create.bodies.add.operations).toHaveLength(1);
  expect(remove.bodies.add.operations).toEqual([
    { remove: { userIdentifiers: [{ hashedEmail: sha256('b@example.com') }] } },
    { remove: { userIdentifiers: [{ hashedEmail: sha256('c@example.com') }] } },
  ]);
  expect(results.map((r) => r.status)).toEqual(['ok', 'ok', 'permanent']);
  expect(results[2]!.code).toBe('GOOGLE_ADS_INVALID_SHA256_FORMAT');
});

test('reuses the access token across batches of a connection', async () => {
  const token = expectToken(1);
  expectJob();
  expectJob();
  const connection = connect(connector, matchSettings);
  await run(connection, [entered('m1', { email: 'a@example.com' })]);
  await run(connection, [entered('m2', { email: 'b@example.com' })]);
  expect(token.forms).toHaveLength(1);
});

test('a revoked refresh token is an authentication failure that names no secret', async () => {
  nock('https://oauth2.googleapis.com').post('/token').reply(400, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
  const [result] = await run(connect(connector, matchSettings), [entered('m1', { email: 'a@example.com' })]);
  expect(result).toMatchObject({ status: 'authentication', code: 'OAUTH_INVALID_GRANT' });
  for (const secret of Object.values(SECRETS)) expect(result!.message).not.toContain(secret);
});

test('quota exhaustion is rate limited for the delay Google gives', async () => {
  expectToken();
  nock(ADS).post('/v25/customers/1234567890/offlineUserDataJobs:create').reply(429, {
    error: {
      code: 429, message: 'Resource has been exhausted', status: 'RESOURCE_EXHAUSTED',
      details: [{
        '@type': 'type.googleapis.com/google.ads.googleads.v25.errors.GoogleAdsFailure',
        errors: [{ errorCode: { quotaError: 'RESOURCE_EXHAUSTED' }, message: 'Too many requests', details: { quotaErrorDetails: { retryDelay: '30s' } } }],
      }],
    },
  });
  const [result] = await run(connect(connector, matchSettings), [entered('m1', { email: 'a@example.com' })]);
  expect(result).toMatchObject({ status: 'rate_limited', retryAfterMs: 30_000, code: 'GOOGLE_ADS_RESOURCE_EXHAUSTED' });
});

test('an access token Google refuses is replaced once before giving up', async () => {
  expectToken(2);
  nock(ADS).post('/v25/customers/1234567890/offlineUserDataJobs:create').reply(401, { error: { code: 401, status: 'UNAUTHENTICATED', message: 'invalid' } });
  expectJob();
  const [result] = await run(connect(connector, matchSettings), [entered('m1', { email: 'a@example.com' })]);
  expect(result).toEqual({ status: 'ok' });
});

test('users without a usable identifier fail alone; other events are not sent', async () => {
  expectToken();
  const { bodies } = expectJob();
  const results = await run(connect(connector, matchSettings), [
    entered('m1', { email: 'a@example.com' }), entered('m2', { firstName: 'Only' }), makeEvent({ messageId: 'm3', event: 'Order Completed' }),
  ]);
  expect(bodies.add.operations).toHaveLength(1);
  expect(results[1]).toMatchObject({ status: 'permanent', code: 'NO_IDENTIFIER' });
  expect(results[2]).toMatchObject({ status: 'ok', code: 'CONVERSIONS_OFF' }); // enhanced conversions not configured
});

describe('enhanced conversions', () => {
  const settings = { ...base, conversionActionId: '777' };
  const order = (messageId: string, properties: Record<string, unknown>, traits: Record<string, unknown> = { email: 'buyer@example.com' }) =>
    makeEvent({ messageId, event: 'Order Completed', properties, traits, context: { userAgent: 'Mozilla/5.0' } });

  test('uploads ENHANCEMENT adjustments with hashed user data and per-adjustment results', async () => {
    expectToken();
    let body: any;
    nock(ADS, { reqheaders: { 'developer-token': SECRETS.developerToken } })
      .post('/v25/customers/1234567890:uploadConversionAdjustments', (b) => { body = b; return true; })
      .reply(200, {
        partialFailureError: failure('conversion_adjustments', 1, { conversionAdjustmentUploadError: 'CONVERSION_NOT_FOUND' }),
        results: [{ orderId: 'o-1' }, {}],
      });
    const results = await run(connect(connector, settings), [
      order('m1', { order_id: 'o-1' }),
      order('m2', { gclid: 'Cj0KCQ', order_id: undefined }),
    ]);
    expect(body).toEqual({
      partialFailure: true,
      conversionAdjustments: [
        {
          conversionAction: 'customers/1234567890/conversionActions/777', adjustmentType: 'ENHANCEMENT', orderId: 'o-1',
          userIdentifiers: [{ hashedEmail: sha256('buyer@example.com') }], userAgent: 'Mozilla/5.0',
        },
        {
          conversionAction: 'customers/1234567890/conversionActions/777', adjustmentType: 'ENHANCEMENT',
          gclidDateTimePair: { gclid: 'Cj0KCQ', conversionDateTime: '2026-11-20 10:00:00+00:00' },
          userIdentifiers: [{ hashedEmail: sha256('buyer@example.com') }], userAgent: 'Mozilla/5.0',
        },
      ],
    });
    expect(results.map((r) => r.status)).toEqual(['ok', 'permanent']);
    expect(results[1]!.code).toBe('GOOGLE_ADS_CONVERSION_NOT_FOUND');
  });

  test('only configured conversion events are sent, and each needs an order id or gclid', async () => {
    const results = await run(connect(connector, settings), [
      makeEvent({ messageId: 'm1', event: 'Product Viewed' }),
      order('m2', {}),
    ]);
    expect(results[0]).toMatchObject({ status: 'ok', code: 'NOT_A_CONVERSION' });
    expect(results[1]).toMatchObject({ status: 'permanent', code: 'NO_CONVERSION_KEY' });
  });
});

test('erasure removes the user from the Customer Match list', async () => {
  expectToken();
  const { scope, bodies } = expectJob();
  await runDelete(connect(connector, matchSettings), { email: 'Gone@Example.com', user_id: 'u-1' });
  scope.done();
  expect(bodies.add.operations).toEqual([{ remove: { userIdentifiers: [{ hashedEmail: sha256('gone@example.com') }] } }]);
});
