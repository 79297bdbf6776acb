import { createHash } from 'node:crypto';
import { checkManifest } from '@switchyard/sdk-kit';
import { buildPage, buildTrack, createTestHarness, type CapturedRequest, type MockResponse, type Responder } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';

const TOKEN = 'snap-capi-token-abcdef123';
const PIXEL = '0d2f1c4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f';
const settings = { pixelId: PIXEL, accessToken: TOKEN };
const EVENTS = `https://tr.snapchat.com/v3/${PIXEL}/events`;
const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');

/** A connection to a Conversions API that answers every request with `answer` (by default VALID). */
function snap(answer: MockResponse | Responder = { status: 200, body: { status: 'VALID' } }, extra: Record<string, unknown> = {}) {
  return createTestHarness(connector, { settings: { ...settings, ...extra } }).intercept(
    'tr.snapchat.com',
    typeof answer === 'function' ? answer : () => answer,
  );
}

/** Bodies posted to `url`, after checking every request carried the token in its query. */
function sent(requests: CapturedRequest[], url = EVENTS): any[] {
  for (const request of requests) {
    expect(request.method).toBe('POST');
    expect(new URL(request.url).searchParams.get('access_token')).toBe(TOKEN);
  }
  return requests.filter((r) => r.url.split('?')[0] === url).map((r) => r.body);
}

test("the manifest passes the router's checks", () => {
  expect(checkManifest(connector)).toEqual([]);
});

test('sends a purchase with the token in the query, user data hashed (email and phone as lists) and the rest as is', async () => {
  const { requests, results } = await snap().run({
    ...buildTrack({ messageId: 'msg-3', event: 'Order Completed', userId: 'user-3', timestamp: '2026-11-20T10:00:00.000Z' }),
    identities: {},
    traits: { email: 'Person@Example.com ', phone: '+44 844 412 4653', address: { city: 'New York', state: 'NY', postalCode: '10001', country: 'US' } },
    properties: { revenue: 12.5, currency: 'USD', order_id: 'o-3', sc_click_id: 'click-1', products: [{ product_id: 'p1', quantity: 1, price: 12.5 }] },
    context: { ip: '192.0.2.8', userAgent: 'Mozilla/5.0', page: { url: 'https://shop.example/done' } },
  });
  expect(results).toEqual([{ status: 'ok' }]);
  expect(sent(requests)).toEqual([
    {
      data: [
        {
          event_name: 'PURCHASE',
          event_time: 1795168800, // 2026-11-20T10:00:00Z
          event_id: 'msg-3',
          action_source: 'WEB',
          event_source_url: 'https://shop.example/done',
          user_data: {
            em: [sha256('person@example.com')],
            ph: [sha256('448444124653')],
            ct: sha256('newyork'),
            st: sha256('ny'),
            zp: sha256('10001'),
            country: sha256('us'),
            external_id: sha256('user-3'),
            client_ip_address: '192.0.2.8',
            client_user_agent: 'Mozilla/5.0',
            sc_click_id: 'click-1',
          },
          custom_data: { value: 12.5, currency: 'USD', order_id: 'o-3', contents: [{ id: 'p1', quantity: 1, item_price: 12.5 }] },
        },
      ],
    },
  ]);
});

test("the Snap documentation's own example email hashes to its published digest", async () => {
  const { requests } = await snap().run(buildTrack({ event: 'Signed Up', traits: { email: 'Person@Example.com' } }));
  const bodies = sent(requests);
  expect(bodies[0].data[0].user_data.em).toEqual(['542d240129883c019e106e3b1b2d3f3cb3537c43c425364de8e951d5a3083345']);
  expect(bodies[0].data[0].event_name).toBe('SIGN_UP');
});

test('page views, remapped names and validate-only mode; unknown names are not sent', async () => {
  const { requests, results } = await snap(undefined, { validateOnly: true, eventNames: { 'Lead Captured': 'CUSTOM_EVENT_1' } }).run([
    buildPage({ messageId: 'p' }),
    buildTrack({ messageId: 'l', event: 'Lead Captured' }),
    buildTrack({ messageId: 'u', event: 'Video Played' }),
  ]);
  const bodies = sent(requests, `${EVENTS}/validate`);
  expect(requests).toHaveLength(1);
  expect(bodies).toHaveLength(1);
  expect(bodies[0].data.map((d: { event_name: string }) => d.event_name)).toEqual(['PAGE_VIEW', 'CUSTOM_EVENT_1']);
  expect(results[2]).toEqual({ status: 'ok', code: 'UNMAPPED_EVENT' });
});

test('users who opted out of sale are flagged for Limited Data Use', async () => {
  const { requests } = await snap().run(buildTrack({ event: 'Order Completed', context: { consent: { ccpa: { dataSaleOptOut: true } } } }));
  const bodies = sent(requests);
  expect(bodies[0].data[0]).toMatchObject({ data_processing_options: ['LDU'], data_processing_options_country: 0, data_processing_options_state: 0 });
});

test.each([
  [401, 'authentication'],
  [429, 'rate_limited'],
  [500, 'retryable'],
  [400, 'permanent'],
])('HTTP %i is %s, without the token in the reason', async (status, outcome) => {
  const {
    results: [result],
    logs,
  } = await snap({ status, body: { status: 'INVALID', reason: 'something is wrong' } }).run(buildTrack({ event: 'Order Completed' }));
  expect(logs.join('\n')).not.toContain(TOKEN);
  expect(result).toMatchObject({ status: outcome, httpStatus: status });
  expect(result!.message).toContain('something is wrong');
  expect(result!.message).not.toContain(TOKEN);
});

test('a 200 reporting an invalid request fails; with a batch only the invalid event fails', async () => {
  const tooOld = { status: 200, body: { status: 'INVALID', reason: 'event_time too old' } };
  const { requests, results } = await snap((request) => {
    const data = (request.body as { data: Array<{ event_id: string }> }).data;
    return data.length === 2 || data[0]!.event_id === 'old' ? tooOld : { status: 200, body: { status: 'VALID' } };
  }).run([buildTrack({ messageId: 'new', event: 'Order Completed' }), buildTrack({ messageId: 'old', event: 'Order Completed' })]);
  const batches = sent(requests).map((b) => b.data.map((d: { event_id: string }) => d.event_id));
  expect(batches[0]).toEqual(['new', 'old']);
  expect(batches.slice(1).sort()).toEqual([['new'], ['old']]);
  expect(results.map((r) => r.status)).toEqual(['ok', 'permanent']);
  expect(results[1]).toMatchObject({ code: 'SNAP_INVALID', message: expect.stringContaining('too old') });
});
