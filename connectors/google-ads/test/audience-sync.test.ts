import { createHash } from 'node:crypto';
import { buildAudience, createTestHarness, type CapturedRequest, type MockResponse } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');
const SECRETS = { developerToken: 'dev-token-abcdef', clientSecret: 'client-secret-xyz', refreshToken: '1//refresh-token-123' };
const settings = {
  customerId: '123-456-7890',
  clientId: 'client-1.apps.googleusercontent.com',
  apiVersion: 'v25',
  userListId: '555',
  adUserDataConsent: 'GRANTED',
  adPersonalizationConsent: 'GRANTED',
  ...SECRETS,
};
const ADS = 'https://googleads.googleapis.com/v25';
const JOB = 'customers/1234567890/offlineUserDataJobs/42';
const TOKEN_URL = 'https://oauth2.googleapis.com/token';
const CREATE = `${ADS}/customers/1234567890/offlineUserDataJobs:create`;
const ADD = `${ADS}/${JOB}:addOperations`;
const RUN = `${ADS}/${JOB}:run`;

/** A fake Google: the OAuth token endpoint, then Offline User Data Jobs; `answers` replace the answer of a URL. */
function google(extra: Record<string, unknown> = {}, answers: Record<string, MockResponse> = {}) {
  return createTestHarness(connector, { settings: { ...settings, ...extra } }).respond((request) => {
    if (answers[request.url]) return answers[request.url]!;
    if (request.url === TOKEN_URL) return { body: { access_token: 'ya29.access', expires_in: 3599 } };
    if (request.url === CREATE) return { body: { resourceName: JOB } };
    if (request.url === RUN) return { body: { name: 'customers/1234567890/operations/7' } };
    return { body: {} };
  });
}
const bodies = (requests: CapturedRequest[], url: string) => requests.filter((r) => r.url === url).map((r) => r.body as any);

/** A person with exactly these identities. */
const person = (id: string, identities: Record<string, string>, audience: Parameters<typeof buildAudience>[0]['audience'] = {}) => ({
  ...buildAudience({ messageId: `m-${id}`, profileId: id, userId: undefined, anonymousId: undefined, audience }),
  identities,
});

test('adds people with one Customer Match job: create, addOperations of hashed email and phone, run', async () => {
  const { requests, results } = await google().run([
    person('1', { email: 'Jane.Doe@Gmail.com', phone: '+1 (650) 555-1212', user_id: 'u-1' }),
    person('2', { phone: '+44 20 7946 0958' }),
  ]);
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }]);
  expect(requests.filter((r) => r.host === 'googleads.googleapis.com').map((r) => r.url)).toEqual([CREATE, ADD, RUN]);
  expect(bodies(requests, CREATE)).toEqual([
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
  expect(bodies(requests, ADD)).toEqual([
    {
      enablePartialFailure: true,
      operations: [
        { create: { userIdentifiers: [{ hashedEmail: sha256('janedoe@gmail.com') }, { hashedPhoneNumber: sha256('+16505551212') }] } },
        { create: { userIdentifiers: [{ hashedPhoneNumber: sha256('+442079460958') }] } },
      ],
    },
  ]);
  for (const request of requests.filter((r) => r.host === 'googleads.googleapis.com')) {
    expect(request.headers).toMatchObject({ authorization: 'Bearer ya29.access', 'developer-token': SECRETS.developerToken });
  }
});

test("removes people with remove operations, on the sync's own list and with the sync's consent", async () => {
  const { requests } = await google().run(
    person('1', { email: 'a@example.com' }, { action: 'remove', sync: { userListId: '777', adPersonalizationConsent: 'DENIED' } }),
  );
  expect(bodies(requests, CREATE)[0].job.customerMatchUserListMetadata).toEqual({
    userList: 'customers/1234567890/userLists/777',
    consent: { adUserData: 'GRANTED', adPersonalization: 'DENIED' },
  });
  expect(bodies(requests, ADD)[0].operations).toEqual([{ remove: { userIdentifiers: [{ hashedEmail: sha256('a@example.com') }] } }]);
  expect(bodies(requests, RUN)).toHaveLength(1);
});

test('puts at most 10,000 people in one job, and counts people without email or phone as unmatched', async () => {
  const events = [
    person('x', { user_id: 'u-x', ios_idfa: 'AAAA' }),
    ...Array.from({ length: 10_001 }, (_, i) => person(String(i), { email: `u${i}@example.com` })),
  ];
  const { requests, results } = await google().run(events);
  expect(results[0]).toEqual({ status: 'ok', code: 'UNMATCHED' });
  expect(results.slice(1).every((r) => r.status === 'ok' && r.code === undefined)).toBe(true);
  expect(bodies(requests, ADD).map((b) => b.operations.length)).toEqual([10_000, 1]);
  expect(bodies(requests, CREATE)).toHaveLength(2);
});

test('a person Google refuses fails alone (partial failure), and a sync without a user list fails without calling Google', async () => {
  const partialFailureError = {
    code: 3,
    message: 'Multiple errors',
    details: [
      {
        errors: [
          {
            errorCode: { offlineUserDataJobError: 'INVALID_SHA256_FORMAT' },
            message: 'bad hash',
            location: { fieldPathElements: [{ fieldName: 'operations', index: 1 }] },
          },
        ],
      },
    ],
  };
  const partial = await google({}, { [ADD]: { body: { partialFailureError } } }).run([
    person('1', { email: 'a@example.com' }),
    person('2', { email: 'b@example.com' }),
  ]);
  expect(partial.results.map((r) => [r.status, r.code])).toEqual([
    ['ok', undefined],
    ['permanent', 'GOOGLE_ADS_INVALID_SHA256_FORMAT'],
  ]);

  const { userListId: _none, ...withoutList } = settings;
  const noList = await createTestHarness(connector, { settings: withoutList }).run(person('1', { email: 'a@example.com' }));
  expect(noList.requests).toHaveLength(0);
  expect(noList.results[0]).toMatchObject({ status: 'permanent', code: 'NO_USER_LIST' });
});

test('RESOURCE_EXHAUSTED and a 429 are rate_limited with the delay Google asks for; secrets never in errors or logs', async () => {
  const exhausted = {
    status: 429,
    body: {
      error: {
        code: 429,
        message: 'Resource has been exhausted',
        status: 'RESOURCE_EXHAUSTED',
        details: [
          {
            errors: [
              {
                errorCode: { quotaError: 'RESOURCE_EXHAUSTED' },
                message: `Too many requests for ${SECRETS.developerToken}`,
                details: { quotaErrorDetails: { retryDelay: '30s' } },
              },
            ],
          },
        ],
      },
    },
  };
  const quota = await google({}, { [CREATE]: exhausted }).run(person('1', { email: 'a@example.com' }));
  expect(quota.results[0]).toMatchObject({ status: 'rate_limited', retryAfterMs: 30_000 });

  const plain = await google({}, { [CREATE]: { status: 429, headers: { 'retry-after': '9' }, body: 'slow down' } }).run(
    person('1', { email: 'a@example.com' }),
  );
  expect(plain.results[0]).toMatchObject({ status: 'rate_limited', retryAfterMs: 9_000 });
  for (const run of [quota, plain]) {
    for (const secret of Object.values(SECRETS)) {
      expect(run.results[0]!.message).not.toContain(secret);
      expect(run.logs.join('\n')).not.toContain(secret);
    }
  }
});
