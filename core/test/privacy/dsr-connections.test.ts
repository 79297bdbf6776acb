import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { queryWarehouse } from '@switchyard/connector-duckdb';
import type { SwitchyardConfig } from '../../src/index.js';
import { HttpSink } from '../helpers/http-sink.js';
import { RouterFixture } from '../helpers/router.js';
import { FIXTURES } from '../helpers/runtime.js';

const ADMIN = 'admin-token-0123456789abcdef';
const DOMAIN = 'switchyard.localhost';

/**
 * Data-subject requests as a controller meets them: OpenDSR on a real router, events ingested through the
 * Segment API, and the connections (DuckDB, JSON Lines files, a vendor whose deletion API is down) holding
 * the subject's data.
 */
describe('data-subject requests reach what connections hold', () => {
  let fixture: RouterFixture;
  afterEach(async () => {
    await fixture?.close();
  });

  const configWith = (connections: SwitchyardConfig['connections'], extra: Partial<SwitchyardConfig> = {}) =>
    ({
      admin: { tokens: [ADMIN] },
      dsr: { gracePeriodMs: 0 },
      sources: [{ id: 'web', type: 'segment', writeKey: 'wk_web' }],
      connections,
      ...extra,
    }) as SwitchyardConfig;
  const start = (connections: SwitchyardConfig['connections'], extra: Partial<SwitchyardConfig> = {}) => {
    fixture = new RouterFixture(configWith(connections, extra));
    return fixture.start();
  };
  const api = (method: string, path: string, body?: unknown) => fixture.send(path, body, { method, headers: { authorization: `Bearer ${ADMIN}` } });
  const ingest = async (batch: unknown[]) => expect((await fixture.send('/v1/batch', { batch }, { auth: 'wk_web:' })).status).toBe(200);
  const statusOf = async (id: string) => (await api('GET', `/opendsr/v1/requests/${id}`)).json;
  const submit = async (type: 'erasure' | 'access', identities: Array<[string, string]>) => {
    const request = {
      regulation: 'gdpr',
      subject_request_id: randomUUID(),
      subject_request_type: type,
      submitted_time: new Date().toISOString(),
      subject_identities: identities.map(([identity_type, identity_value]) => ({ identity_type, identity_value, identity_format: 'raw' })),
    };
    expect((await api('POST', '/opendsr/v1/requests', request)).status).toBe(201);
    return request.subject_request_id;
  };
  /** Re-reads `read` until `done` holds for its value; the value, or a timeout naming `what` and the last value. */
  async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await read();
      if (done(value)) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  const counted = (connection: string, counter: 'delivered' | 'retried' | 'deadLettered', count: number) =>
    until(
      async () => (await api('GET', '/admin/v1/stats')).json.connections[connection]?.[counter] ?? 0,
      (n) => n >= count,
      `${count} ${counter} of ${connection}`,
    );
  const delivered = (connection: string, count: number) => counted(connection, 'delivered', count);
  const connectionDir = (id: string) => join(fixture.dir, 'storage', 'connections', id);

  // Ada identifies with a capitalised email; her later track names her by user id only. Bob is someone else.
  const adaAndBob = [
    { type: 'identify', messageId: 'ada-identify', userId: 'u-ada', traits: { email: 'Ada@Example.com', firstName: 'Ada' } },
    { type: 'track', messageId: 'ada-order', userId: 'u-ada', event: 'Order Completed', properties: { total: 42 } },
    { type: 'identify', messageId: 'bob-identify', userId: 'u-bob', traits: { email: 'bob@example.com' } },
    { type: 'track', messageId: 'bob-order', userId: 'u-bob', event: 'Order Completed', properties: { total: 7 } },
  ];

  it('erasure by ada@example.com removes the DuckDB rows of the user who identified as Ada@Example.com, and only then reports completed', async () => {
    await start([{ id: 'warehouse', connector: 'duckdb' }]);
    await ingest(adaAndBob);
    await delivered('warehouse', 4);

    const id = await submit('erasure', [['email', 'ada@example.com']]);
    const done = await until(
      () => statusOf(id),
      (s) => s.request_status === 'completed',
      'the erasure to complete',
    );
    expect(done.extensions[DOMAIN].connections).toEqual({ warehouse: { status: 'sent' } });

    await fixture.router.close(); // DuckDB lets another reader open the file only once the router has let go of it
    const file = join(connectionDir('warehouse'), 'warehouse.duckdb');
    const ids = async (table: string) => (await queryWarehouse(file, `SELECT id FROM ${table} ORDER BY id`)).rows.flat();
    expect(await ids('identifies')).toEqual(['bob-identify']);
    expect(await ids('tracks')).toEqual(['bob-order']);
    expect(await ids('order_completed')).toEqual(['bob-order']);
  });

  it("erasure rewrites the file connector's files without the subject's lines and keeps every other user's", async () => {
    await start([{ id: 'files', connector: 'file' }]);
    await ingest(adaAndBob);
    await delivered('files', 4);
    const filesDir = join(connectionDir('files'), 'files');
    const lines = () =>
      readdirSync(filesDir)
        .filter((f) => f.endsWith('.jsonl'))
        .flatMap((f) =>
          readFileSync(join(filesDir, f), 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as { messageId: string }),
        );
    expect(
      lines()
        .map((l) => l.messageId)
        .sort(),
    ).toEqual(['ada-identify', 'ada-order', 'bob-identify', 'bob-order']);

    const id = await submit('erasure', [['email', 'ADA@example.com']]);
    const done = await until(
      () => statusOf(id),
      (s) => s.request_status === 'completed',
      'the erasure to complete',
    );
    expect(done.extensions[DOMAIN].connections).toEqual({ files: { status: 'sent' } });
    expect(
      lines()
        .map((l) => l.messageId)
        .sort(),
    ).toEqual(['bob-identify', 'bob-order']);
    expect(readdirSync(filesDir).filter((f) => !f.endsWith('.jsonl'))).toEqual([]);
  });

  it('an erasure whose connection keeps failing onDelete, or is removed, stays in_progress with that connection failed, and completes after a restart once it succeeds', async () => {
    const vendor = (deletionsFail: boolean) => ({ id: 'vendor', connector: join(FIXTURES, 'failing-erasure'), settings: { deletionsFail } });
    await start([vendor(true)]);
    await ingest(adaAndBob.slice(0, 2));
    await delivered('vendor', 2);

    const id = await submit('erasure', [['email', 'ada@example.com']]);
    const stuck = await until(
      () => statusOf(id),
      (s) => s.extensions[DOMAIN].connections.vendor?.status === 'failed',
      'the deletion to fail',
    );
    expect(stuck.request_status).toBe('in_progress');
    expect(stuck.extensions[DOMAIN].connections.vendor).toEqual({ status: 'failed', error: 'VENDOR_UNAVAILABLE: the vendor deletion API answered 503' });
    expect(Date.parse(stuck.extensions[DOMAIN].next_attempt_at)).toBeGreaterThan(Date.now());
    expect((await statusOf(id)).request_status).toBe('in_progress');

    // Removed from the config, the connection still holds Ada's data: the request must not complete.
    await fixture.router.close();
    fixture.writeConfig(configWith([{ id: 'files', connector: 'file' }]));
    await fixture.start();
    const removed = await until(
      () => statusOf(id),
      // Connections are answered in parallel and saved as each answers: wait for both.
      (s) => /^NOT_RUNNING/.test(s.extensions[DOMAIN].connections.vendor?.error ?? '') && s.extensions[DOMAIN].connections.files?.status === 'sent',
      'the removed connection to fail',
    );
    expect(removed.request_status).toBe('in_progress');
    expect(removed.extensions[DOMAIN].connections).toMatchObject({ vendor: { status: 'failed' }, files: { status: 'sent' } });

    // The vendor's API is back; the restarted router resumes the request at once.
    await fixture.router.close();
    fixture.writeConfig(configWith([vendor(false)]));
    await fixture.start();
    const done = await until(
      () => statusOf(id),
      (s) => s.request_status === 'completed',
      'the erasure to complete after the restart',
    );
    expect(done.extensions[DOMAIN].connections).toEqual({ vendor: { status: 'sent' }, files: { status: 'sent' } });
    expect(done.extensions[DOMAIN].next_attempt_at).toBeUndefined();
    // The deletion names the whole person: the email asked for, the user id the graph linked to it, the profile.
    expect(JSON.parse(readFileSync(join(connectionDir('vendor'), 'deleted.json'), 'utf8'))).toEqual({
      email: 'ada@example.com',
      user_id: 'u-ada',
      profile_id: expect.stringMatching(/^-?\d+$/),
    });
  });

  it("an access request exports the profile with consent, the suppression, queued and dead-lettered events and the warehouse's rows of the subject", async () => {
    const retrying = await new HttpSink().start();
    const refusing = await new HttpSink().start();
    retrying.responder = () => ({ status: 503 });
    refusing.responder = () => ({ status: 400, body: { error: 'unknown field' } });
    try {
      await start(
        [
          { id: 'warehouse', connector: 'duckdb' },
          { id: 'crm', connector: 'webhook', settings: { url: `${retrying.url}/crm` }, delivery: { retry: { baseDelayMs: 600_000, maxDelayMs: 600_000 } } },
          { id: 'ads', connector: 'webhook', settings: { url: `${refusing.url}/ads` } },
        ],
        { privacy: { purposes: [{ id: 'analytics', segmentCategories: ['Analytics'] }] } },
      );
      const consent = { consent: { categoryPreferences: { Analytics: true } } };
      await ingest([{ ...adaAndBob[0], context: consent }, ...adaAndBob.slice(1)]);
      await delivered('warehouse', 4);
      await counted('ads', 'deadLettered', 4);
      // Suppressing before the first attempt would let the gate drop the queued events instead of holding them.
      await counted('crm', 'retried', 4);
      const suppressed = (await api('POST', '/admin/v1/suppressions', { identity_type: 'email', identity_value: 'ada@example.com', reason: 'ticket 812' })).json
        .suppression;

      const id = await submit('access', [
        ['email', 'Ada@Example.com'],
        ['controller_customer_id', 'u-ada'],
      ]);
      const done = await until(
        () => statusOf(id),
        (s) => s.request_status === 'completed',
        'the export',
      );
      expect(done.extensions[DOMAIN].connections).toEqual({
        warehouse: { status: 'sent', records: 3 },
        crm: { status: 'skipped' },
        ads: { status: 'skipped' },
      });
      const lines = (await (await fetch(done.results_url)).text())
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(done.results_count).toBe(lines.length);

      expect(lines).toContainEqual(
        expect.objectContaining({
          kind: 'profile',
          identity: 'email:ada@example.com',
          consent: expect.objectContaining({ purposes: expect.objectContaining({ analytics: expect.objectContaining({ consented: true }) }) }),
        }),
      );
      expect(lines).toContainEqual({
        kind: 'suppression',
        id: suppressed.id,
        identity_type: 'email',
        identity_value: 'ada@example.com',
        reason: 'ticket 812',
        created_at: suppressed.created_at,
      });
      const events = lines
        .filter((l) => l.kind === 'event')
        .map((l) => [l.held_in, l.connections.join(), l.event.messageId])
        .sort();
      expect(events).toEqual([
        ['dead-letters', 'ads', 'ada-identify'],
        ['dead-letters', 'ads', 'ada-order'],
        ['queue', 'crm', 'ada-identify'],
        ['queue', 'crm', 'ada-order'],
      ]);
      const rows = lines
        .filter((l) => l.kind === 'connection_record')
        .map((l) => [l.connection, l.source, l.data.id])
        .sort();
      expect(rows).toEqual([
        ['warehouse', 'identifies', 'ada-identify'],
        ['warehouse', 'order_completed', 'ada-order'],
        ['warehouse', 'tracks', 'ada-order'],
      ]);
      expect(lines.find((l) => l.source === 'identifies').data).toMatchObject({ user_id: 'u-ada', email: 'Ada@Example.com', first_name: 'Ada' });
      expect(JSON.stringify(lines)).not.toContain('bob');
    } finally {
      await fixture.close();
      await retrying.stop();
      await refusing.stop();
    }
  });
});
