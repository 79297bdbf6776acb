import { createHash } from 'node:crypto';
import { checkManifest, type CanonicalEvent } from '@switchyard/sdk-kit';
import { buildTrack, createTestHarness, type CapturedRequest, type MockResponse } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');
const SECRETS = { developerToken: 'dev-token-abcdef', clientSecret: 'client-secret-xyz', refreshToken: '1//refresh-token-123' };
const base = {
  customerId: '123-456-7890',
  loginCustomerId: '999-888-7777',
  clientId: 'client-1.apps.googleusercontent.com',
  apiVersion: 'v25',
  ...SECRETS,
};
const matchSettings = { ...base, userListId: '555', adUserDataConsent: 'GRANTED', adPersonalizationConsent: 'GRANTED' };
const ADS = 'https://googleads.googleapis.com';
const JOB = 'customers/1234567890/offlineUserDataJobs/42';
const failure = (listName: string, index: number, errorCode: Record<string, string>, message = 'bad') => ({
  code: 3,
  message: 'Multiple errors in ‘details’.',
  details: [
    {
      '@type': 'type.googleapis.com/google.ads.googleads.v25.errors.GoogleAdsFailure',
      errors: [
        {
          errorCode,
          message,
          location: {
            fieldPathElements: [
              { fieldName: listName, index },
              { fieldName: 'user_identifiers', index: 0 },
            ],
          },
        },
      ],
      requestId: 'req-1',
    },
  ],
});

const TOKEN_URL = 'https://oauth2.googleapis.com/token';
const ADS_HEADERS = { authorization: 'Bearer ya29.access', 'developer-token': SECRETS.developerToken, 'login-customer-id': '9998887777' };

/** Per-URL answers of the fake Google; anything not listed succeeds as Google would. */
type Answers = Record<string, MockResponse | (() => MockResponse)>;

/** A connection to a fake Google: an OAuth token endpoint, then Offline User Data Jobs and conversion adjustments. */
function google(settings: Record<string, unknown>, answers: Answers = {}) {
  return createTestHarness(connector, { settings }).respond((request) => {
    const answer = answers[request.url];
    if (answer) return typeof answer === 'function' ? answer() : answer;
    if (request.url === TOKEN_URL) return { body: { access_token: 'ya29.access', expires_in: 3599, token_type: 'Bearer' } };
    if (request.url.endsWith('offlineUserDataJobs:create')) return { body: { resourceName: JOB } };
    if (request.url.endsWith(':run')) return { body: { name: 'customers/1234567890/operations/7' } };
    return { body: {} };
  });
}

const tokenForms = (requests: CapturedRequest[]) =>
  requests.filter((r) => r.url === TOKEN_URL).map((r) => Object.fromEntries(new URLSearchParams(String(r.body))));

/** The bodies sent to the Ads API for a URL, after checking every Ads request carried the auth headers. */
function adsBodies(requests: CapturedRequest[], url: string): any[] {
  for (const request of requests.filter((r) => r.host === 'googleads.googleapis.com')) {
    expect(request).toMatchObject({ method: 'POST', headers: ADS_HEADERS });
  }
  return requests.filter((r) => r.url === url).map((r) => r.body);
}

const CREATE = `${ADS}/v25/customers/1234567890/offlineUserDataJobs:create`;
const ADD = `${ADS}/v25/${JOB}:addOperations`;
const RUN = `${ADS}/v25/${JOB}:run`;

/** A membership event carrying only the traits given, so the operations hold exactly what the test expects. */
const entered = (messageId: string, traits: Record<string, unknown>, event = 'Audience Entered'): CanonicalEvent => ({
  ...buildTrack({ messageId, event }),
  identities: {},
  traits,
  properties: { audience_key: 'vip' },
});

test("the manifest passes the router's checks", () => {
  expect(checkManifest(connector)).toEqual([]);
});

test('adds entered users through an OfflineUserDataJob with hashed identifiers, then runs it', async () => {
  const { requests, results } = await google(matchSettings).run([
    entered('m1', { email: ' John.Smith@Gmail.com ', phone: '+1 (650) 555-1212' }),
    entered('m2', { email: 'ann@example.com', firstName: ' Ann ', lastName: 'Lee', address: { country: 'us', postalCode: '94103' } }),
  ]);
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }]);
  expect(requests.map((r) => r.url)).toEqual([TOKEN_URL, CREATE, ADD, RUN]);
  expect(tokenForms(requests)).toEqual([
    {
      grant_type: 'refresh_token',
      client_id: base.clientId,
      client_secret: SECRETS.clientSecret,
      refresh_token: SECRETS.refreshToken,
    },
  ]);
  expect(adsBodies(requests, CREATE)).toEqual([
    {
      job: {
        type: 'CUSTOMER_MATCH_USER_LIST',
        customerMatchUserListMetadata: {
          userList: 'customers/1234567890/userLists/555',
          consent: { adUserData: 'GRANTED', adPersonalization: 'GRANTED' },
        },
      },
    },
  ]);
  expect(adsBodies(requests, ADD)).toEqual([
    {
      enablePartialFailure: true,
      operations: [
        { create: { userIdentifiers: [{ hashedEmail: sha256('johnsmith@gmail.com') }, { hashedPhoneNumber: sha256('+16505551212') }] } },
        {
          create: {
            userIdentifiers: [
              { hashedEmail: sha256('ann@example.com') },
              { addressInfo: { hashedFirstName: sha256('ann'), hashedLastName: sha256('lee'), countryCode: 'US', postalCode: '94103' } },
            ],
          },
        },
      ],
    },
  ]);
  expect(adsBodies(requests, RUN)).toEqual([{}]);
});

test('removes exited users in a job of their own and fails only the operations Google refused', async () => {
  const REMOVE_JOB = 'customers/1234567890/offlineUserDataJobs/43';
  let creates = 0;
  const { requests, results } = await google(matchSettings, {
    [CREATE]: () => ({ body: { resourceName: (creates += 1) === 1 ? JOB : REMOVE_JOB } }),
    [`${ADS}/v25/${REMOVE_JOB}:addOperations`]: {
      body: { partialFailureError: failure('operations', 1, { offlineUserDataJobError: 'INVALID_SHA256_FORMAT' }) },
    },
  }).run([
    entered('m1', { email: 'a@example.com' }),
    entered('m2', { email: 'b@example.com' }, 'Audience Exited'),
    entered('m3', { email: 'c@example.com' }, 'Audience Exited'),
  ]);
  expect(adsBodies(requests, CREATE)).toHaveLength(2);
  expect(adsBodies(requests, RUN)).toHaveLength(1);
  expect(adsBodies(requests, `${ADS}/v25/${REMOVE_JOB}:run`)).toHaveLength(1);
  expect(adsBodies(requests, ADD)[0].operations).toHaveLength(1);
  expect(adsBodies(requests, `${ADS}/v25/${REMOVE_JOB}:addOperations`)[0].operations).toEqual([
    { remove: { userIdentifiers: [{ hashedEmail: sha256('b@example.com') }] } },
    { remove: { userIdentifiers: [{ hashedEmail: sha256('c@example.com') }] } },
  ]);
  expect(results.map((r) => r.status)).toEqual(['ok', 'ok', 'permanent']);
  expect(results[2]!.code).toBe('GOOGLE_ADS_INVALID_SHA256_FORMAT');
});

test('reuses the access token across batches of a connection', async () => {
  const harness = google(matchSettings);
  const first = await harness.run(entered('m1', { email: 'a@example.com' }));
  const second = await harness.run(entered('m2', { email: 'b@example.com' }));
  expect([...first.results, ...second.results]).toEqual([{ status: 'ok' }, { status: 'ok' }]);
  expect(adsBodies(second.requests, ADD)).toHaveLength(1);
  expect(tokenForms([...first.requests, ...second.requests])).toHaveLength(1);
});

test('a revoked refresh token is an authentication failure that names no secret', async () => {
  const {
    results: [result],
    logs,
  } = await google(matchSettings, {
    [TOKEN_URL]: { status: 400, body: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' } },
  }).run(entered('m1', { email: 'a@example.com' }));
  expect(result).toMatchObject({ status: 'authentication', code: 'OAUTH_INVALID_GRANT' });
  for (const secret of Object.values(SECRETS)) {
    expect(result!.message).not.toContain(secret);
    expect(logs.join('\n')).not.toContain(secret);
  }
});

test('quota exhaustion is rate limited for the delay Google gives', async () => {
  const {
    results: [result],
  } = await google(matchSettings, {
    [CREATE]: {
      status: 429,
      body: {
        error: {
          code: 429,
          message: 'Resource has been exhausted',
          status: 'RESOURCE_EXHAUSTED',
          details: [
            {
              '@type': 'type.googleapis.com/google.ads.googleads.v25.errors.GoogleAdsFailure',
              errors: [
                { errorCode: { quotaError: 'RESOURCE_EXHAUSTED' }, message: 'Too many requests', details: { quotaErrorDetails: { retryDelay: '30s' } } },
              ],
            },
          ],
        },
      },
    },
  }).run(entered('m1', { email: 'a@example.com' }));
  expect(result).toMatchObject({ status: 'rate_limited', retryAfterMs: 30_000, code: 'GOOGLE_ADS_RESOURCE_EXHAUSTED' });
});

test('an access token Google refuses is replaced once before giving up', async () => {
  let creates = 0;
  const {
    requests,
    results: [result],
  } = await google(matchSettings, {
    [CREATE]: () =>
      (creates += 1) === 1 ? { status: 401, body: { error: { code: 401, status: 'UNAUTHENTICATED', message: 'invalid' } } } : { body: { resourceName: JOB } },
  }).run(entered('m1', { email: 'a@example.com' }));
  expect(result).toEqual({ status: 'ok' });
  expect(tokenForms(requests)).toHaveLength(2);
  expect(adsBodies(requests, CREATE)).toHaveLength(2);
  expect(adsBodies(requests, RUN)).toHaveLength(1);
});

test('users without a usable identifier fail alone; other events are not sent', async () => {
  const { requests, results } = await google(matchSettings).run([
    entered('m1', { email: 'a@example.com' }),
    entered('m2', { firstName: 'Only' }),
    buildTrack({ messageId: 'm3', event: 'Order Completed' }),
  ]);
  expect(adsBodies(requests, ADD)[0].operations).toHaveLength(1);
  expect(results[1]).toMatchObject({ status: 'permanent', code: 'NO_IDENTIFIER' });
  expect(results[2]).toMatchObject({ status: 'ok', code: 'CONVERSIONS_OFF' }); // enhanced conversions not configured
});

describe('enhanced conversions', () => {
  const settings = { ...base, conversionActionId: '777' };
  const UPLOAD = `${ADS}/v25/customers/1234567890:uploadConversionAdjustments`;
  const order = (messageId: string, properties: Record<string, unknown>): CanonicalEvent => ({
    ...buildTrack({ messageId, event: 'Order Completed', timestamp: '2026-11-20T10:00:00.000Z' }),
    identities: {},
    properties,
    traits: { email: 'buyer@example.com' },
    context: { userAgent: 'Mozilla/5.0' },
  });

  test('uploads ENHANCEMENT adjustments with hashed user data and per-adjustment results', async () => {
    const { requests, results } = await google(settings, {
      [UPLOAD]: {
        body: {
          partialFailureError: failure('conversion_adjustments', 1, { conversionAdjustmentUploadError: 'CONVERSION_NOT_FOUND' }),
          results: [{ orderId: 'o-1' }, {}],
        },
      },
    }).run([order('m1', { order_id: 'o-1' }), order('m2', { gclid: 'Cj0KCQ', order_id: undefined })]);
    expect(adsBodies(requests, UPLOAD)).toEqual([
      {
        partialFailure: true,
        conversionAdjustments: [
          {
            conversionAction: 'customers/1234567890/conversionActions/777',
            adjustmentType: 'ENHANCEMENT',
            orderId: 'o-1',
            userIdentifiers: [{ hashedEmail: sha256('buyer@example.com') }],
            userAgent: 'Mozilla/5.0',
          },
          {
            conversionAction: 'customers/1234567890/conversionActions/777',
            adjustmentType: 'ENHANCEMENT',
            gclidDateTimePair: { gclid: 'Cj0KCQ', conversionDateTime: '2026-11-20 10:00:00+00:00' },
            userIdentifiers: [{ hashedEmail: sha256('buyer@example.com') }],
            userAgent: 'Mozilla/5.0',
          },
        ],
      },
    ]);
    expect(results.map((r) => r.status)).toEqual(['ok', 'permanent']);
    expect(results[1]!.code).toBe('GOOGLE_ADS_CONVERSION_NOT_FOUND');
  });

  test('only configured conversion events are sent, and each needs an order id or gclid', async () => {
    const { requests, results } = await google(settings).run([buildTrack({ messageId: 'm1', event: 'Product Viewed' }), order('m2', {})]);
    expect(results[0]).toMatchObject({ status: 'ok', code: 'NOT_A_CONVERSION' });
    expect(results[1]).toMatchObject({ status: 'permanent', code: 'NO_CONVERSION_KEY' });
    expect(adsBodies(requests, UPLOAD)).toEqual([]);
  });
});

test('erasure removes the user from the Customer Match list', async () => {
  const { requests, result } = await google(matchSettings).runDelete({ email: 'Gone@Example.com', user_id: 'u-1' });
  expect(result).toEqual({ status: 'ok' });
  expect(requests.map((r) => r.url)).toEqual([TOKEN_URL, CREATE, ADD, RUN]);
  expect(adsBodies(requests, ADD)[0].operations).toEqual([{ remove: { userIdentifiers: [{ hashedEmail: sha256('gone@example.com') }] } }]);
});
