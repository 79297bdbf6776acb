import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { RecordingSink } from '../helpers/recording-sink.js';
import { startRouter } from '../helpers/router-process.js';

const PG_URL = process.env.SWITCHYARD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/**
 * One ingested batch fans out to a warehouse (the real PostgreSQL), an email tool and an ad network, with
 * location enrichment applied before fan-out. The vendors' APIs are loopback servers standing at their
 * documented hosts through `endpointOverrides`; each must receive the request its vendor documents.
 */
describe('one batch, three categories of destination', () => {
  const schema = `e2e_${randomBytes(4).toString('hex')}`;
  const sendgrid = new RecordingSink((r) => (r.path.startsWith('/v3/mail/send') ? { status: 202, body: '' } : { status: 202, body: { job_id: 'job-1' } }));
  const meta = new RecordingSink((r) => ({ status: 200, body: { events_received: (r.body?.data ?? []).length, fbtrace_id: 'trace' } }));
  let running: Awaited<ReturnType<typeof startRouter>>;
  let db: pg.Client;

  beforeAll(async () => {
    await sendgrid.start();
    await meta.start();
    db = new pg.Client({ connectionString: PG_URL });
    await db.connect();
    running = await startRouter({
      sources: [{ id: 'web', type: 'segment', writeKey: 'wk_web' }],
      connections: [
        { id: 'warehouse', connector: 'postgres', settings: { connectionString: PG_URL, schema } },
        {
          id: 'email',
          connector: 'sendgrid',
          settings: { apiKey: 'SG.test-key-123456', listIds: ['list-1'], fromEmail: 'shop@example.com', templates: { 'Order Completed': 'd-0123abcd' } },
          endpointOverrides: { 'api.sendgrid.com': sendgrid.url },
        },
        {
          id: 'ads',
          connector: 'facebook-capi',
          settings: { pixelId: '1234567890', accessToken: 'meta-token-abcdef' },
          endpointOverrides: { 'graph.facebook.com': meta.url },
        },
      ],
    });
  });
  afterAll(async () => {
    await running?.close();
    await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await db.end();
    await sendgrid.stop();
    await meta.stop();
  });

  it('delivers each vendor its documented request, enriched with the location', async () => {
    const context = { ip: '198.51.100.4', location: { latitude: 48.8566, longitude: 2.3522 }, traits: { email: ' Ada@Example.com ' } };
    const response = await fetch(`${running.router.url}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('wk_web:').toString('base64')}` },
      body: JSON.stringify({
        batch: [
          { type: 'identify', userId: 'u-42', messageId: 'fan-identify', traits: { email: 'ada@example.com', firstName: 'Ada' }, context },
          {
            type: 'track',
            userId: 'u-42',
            messageId: 'fan-order',
            event: 'Order Completed',
            context,
            properties: { order_id: 'o-9', revenue: 99.5, currency: 'EUR' },
          },
        ],
      }),
    });
    expect(response.status).toBe(200);

    // The ad network: Conversions API event with hashed user data, event_id = messageId, enriched city/country.
    await meta.waitFor(() => meta.events().length > 0, 'the Conversions API request');
    const capi = meta.requests[0]!;
    expect(capi.method).toBe('POST');
    expect(capi.path).toMatch(/^\/v\d+\.\d+\/1234567890\/events$/);
    expect(capi.body.access_token).toBe('meta-token-abcdef');
    expect(capi.body.data[0]).toMatchObject({
      event_name: 'Purchase',
      event_id: 'fan-order',
      action_source: 'website',
      user_data: { em: sha256('ada@example.com'), ct: sha256('paris'), country: sha256('fr'), external_id: sha256('u-42') },
      custom_data: { currency: 'EUR', value: 99.5 },
    });

    // The email tool: contact upsert from identify and the order template from track, Bearer auth.
    await sendgrid.waitFor(
      () => sendgrid.requests.some((r) => r.path === '/v3/marketing/contacts') && sendgrid.requests.some((r) => r.path === '/v3/mail/send'),
      'the SendGrid requests',
    );
    const upsert = sendgrid.requests.find((r) => r.path === '/v3/marketing/contacts')!;
    expect(upsert).toMatchObject({ method: 'PUT', headers: { authorization: 'Bearer SG.test-key-123456' } });
    expect(upsert.body).toMatchObject({ list_ids: ['list-1'], contacts: [expect.objectContaining({ email: 'ada@example.com', first_name: 'Ada' })] });
    const mail = sendgrid.requests.find((r) => r.path === '/v3/mail/send')!;
    expect(mail.body).toMatchObject({
      template_id: 'd-0123abcd',
      from: { email: 'shop@example.com' },
      personalizations: [expect.objectContaining({ to: [{ email: 'ada@example.com' }] })],
    });

    // The warehouse: rows in the real PostgreSQL, with the enriched location flattened into columns.
    const deadline = Date.now() + 20_000;
    let rows: Array<Record<string, unknown>> = [];
    while (rows.length === 0 && Date.now() < deadline) {
      rows = await db.query(`SELECT * FROM ${schema}.order_completed`).then(
        (r) => r.rows,
        () => [],
      );
      // Reading the warehouse is the only way to observe the load; poll it the way an analyst would.
      if (rows.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(rows).toEqual([
      expect.objectContaining({
        id: 'fan-order',
        user_id: 'u-42',
        order_id: 'o-9',
        revenue: 99.5,
        currency: 'EUR',
        context_location_city: 'Paris',
        context_location_country: 'FR',
      }),
    ]);
    const identifies = await db.query(`SELECT email, first_name FROM ${schema}.identifies WHERE id = 'fan-identify'`);
    expect(identifies.rows).toEqual([{ email: 'ada@example.com', first_name: 'Ada' }]);
  });
});
