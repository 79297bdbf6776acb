import { Type, defineConnector } from '../../src/index.js';
import { buildTrack, checkConformance, planConformance, runConformanceSuite } from '../../src/testing/index.js';
import acme from '../fixtures/good-connector.js';
import lists from '../fixtures/audience-connector.js';
import broken from '../fixtures/broken-connector.js';

const acmeSettings = { apiKey: 'acme-key-0123456789' };
const partialFailure = {
  respond: () => ({ status: 200, body: { errors: [{ index: 0, status: 400, message: 'bad event' }] } }),
};

// The suite as a connector author registers it: one line.
runConformanceSuite(acme, { settings: acmeSettings, partialFailure });

test('a well-behaved connector passes every check', async () => {
  const report = await checkConformance(acme, { settings: acmeSettings, partialFailure });
  expect(report.failures).toEqual([]);
  expect(report.passed).toEqual(planConformance(acme, { settings: acmeSettings, partialFailure }).map((c) => c.name));
  expect(report.passed).toEqual(
    expect.arrayContaining([
      'manifest',
      'settings-schema',
      'secret-settings',
      'delivers',
      'rate-limit',
      'server-error',
      'timeout',
      'client-error',
      'authentication',
      'batch-partial-failure',
      'on-delete',
      'egress',
      'secrets-not-logged',
    ]),
  );
});

test('the broken connector fails, with a readable message naming each mistake', async () => {
  const report = await checkConformance(broken, { settings: { apiKey: 'broken-key-123456' } });
  const failed = (check: string) =>
    report.failures
      .filter((f) => f.check === check)
      .map((f) => f.message)
      .join('\n');
  expect(failed('secret-settings')).toContain('settings.apiKey looks like a secret (its name ends in "key") but is not marked');
  expect(failed('egress')).toContain('the connector called telemetry.broken.example, which is not in its egress list (api.broken.example)');
  expect(failed('rate-limit')).toMatch(/track "Signed Up" \(msg-track-\d+\): expected "rate_limited", got permanent GAVE_UP: rate limited, giving up/);
  expect(failed('secrets-not-logged')).toContain("settings.apiKey appeared in the connector's log output");
  expect(failed('secrets-not-logged')).toContain('<settings.apiKey>');
  // The report never repeats the secret it found.
  expect(JSON.stringify(report.failures)).not.toContain('broken-key-123456');
  expect(report.passed).toEqual(expect.arrayContaining(['manifest', 'delivers', 'server-error', 'authentication']));
});

test('a batch that fails or passes as a whole fails the partial-failure check', async () => {
  const report = await checkConformance(acme, { settings: acmeSettings, partialFailure: { respond: () => ({ status: 200, body: {} }) } });
  expect(report.failures).toEqual([
    expect.objectContaining({
      check: 'batch-partial-failure',
      message: expect.stringContaining('expected some items "ok" and some failed, got ok, ok'),
    }),
  ]);
});

test('settings the schema refuses are reported, not thrown', async () => {
  const report = await checkConformance(acme, { settings: { apiKey: 'x' } });
  expect(report.failures.find((f) => f.check === 'settings-schema')?.message).toBe(
    'the fixture settings are invalid: settings.apiKey: must NOT have fewer than 8 characters',
  );
});

const local = defineConnector({
  name: 'local',
  version: '1.0.0',
  category: 'storage',
  settings: Type.Object({ prefix: Type.String({ default: 'events' }) }),
  egress: [],
  actions: {
    keep: {
      subscribe: { types: 'all' },
      fields: Type.Object({}),
      defaultMapping: {},
      perform() {
        /* stored in memory */
      },
    },
  },
});

test('connectors without egress hosts get no HTTP checks', async () => {
  const names = planConformance(local, { settings: {} }).map((c) => c.name);
  expect(names).toEqual(['manifest', 'settings-schema', 'secret-settings', 'delivers', 'egress', 'secrets-not-logged']);
  expect((await checkConformance(local, { settings: {} })).failures).toEqual([]);
});

test('an HTTP connector no sample event reaches is told to pass sampleEvents', async () => {
  const report = await checkConformance(acme, { settings: acmeSettings, sampleEvents: [buildTrack({ type: 'identify' })] });
  expect(report.failures.find((f) => f.check === 'delivers')?.message).toContain('no action takes any of the sample events (identify)');
});

test('names that look like secrets are told apart from identifiers that end in "key"', async () => {
  const { secretLookingWord } = await import('../../src/testing/secret-names.js');
  expect(['apiKey', 'api_key', 'accessToken', 'clientSecret', 'dbPassword', 'privateKey', 'serviceAccountKey', 'key'].map(secretLookingWord)).toEqual([
    'key',
    'key',
    'token',
    'secret',
    'password',
    'key',
    'key',
    'key',
  ]);
  expect(['audienceKey', 'partitionKey', 'idempotencyKey', 'tokenUrl', 'region'].map(secretLookingWord)).toEqual([
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
  ]);
});

/** A connector that keeps events in memory and whose erasure and export can be made wrong on purpose. */
function memoryConnector(flaw?: 'export-misses' | 'delete-keeps') {
  const kept: Array<Record<string, unknown>> = [];
  const isSubject = (event: Record<string, unknown>, ids: Record<string, string>) => event.userId === ids.user_id;
  return defineConnector({
    name: 'memory',
    version: '1.0.0',
    category: 'storage',
    settings: Type.Object({}),
    egress: [],
    actions: {
      keep: {
        subscribe: { types: 'all' },
        fields: Type.Object({}),
        defaultMapping: {},
        perform(ctx) {
          kept.push({ ...ctx.event });
        },
      },
    },
    onDelete(ctx) {
      if (flaw === 'delete-keeps') return;
      for (let i = kept.length - 1; i >= 0; i -= 1) if (isSubject(kept[i]!, ctx.user.identities)) kept.splice(i, 1);
    },
    onExport(ctx) {
      if (flaw === 'export-misses') return [];
      return kept.filter((e) => isSubject(e, ctx.user.identities)).map((data) => ({ source: 'memory', data }));
    },
  });
}

test('a local connector whose onExport and onDelete agree passes both checks', async () => {
  const report = await checkConformance(memoryConnector(), { settings: {} });
  expect(report.failures).toEqual([]);
  expect(report.passed).toEqual(expect.arrayContaining(['on-export', 'on-delete']));
});

test('onExport that finds nothing of the delivered sample subject fails the on-export check', async () => {
  const report = await checkConformance(memoryConnector('export-misses'), { settings: {} });
  expect(report.failures).toEqual([
    expect.objectContaining({ check: 'on-export', message: expect.stringContaining('onExport returned no record of the subject') }),
  ]);
});

test('onDelete that leaves what onExport still reads back fails the on-delete check', async () => {
  const report = await checkConformance(memoryConnector('delete-keeps'), { settings: {} });
  expect(report.failures).toEqual([
    expect.objectContaining({ check: 'on-delete', message: expect.stringContaining('after onDelete, onExport still reads back') }),
  ]);
});

test('a connector with an audience sync gets the audience checks; one that drops Retry-After fails the rate-limit one', async () => {
  const good = await checkConformance(lists, { settings: acmeSettings, sampleEvents: [buildTrack()], audienceSync: { listId: '42' } });
  expect(good.failures).toEqual([]);
  expect(good.passed).toEqual(expect.arrayContaining(['audience-sync', 'audience-rate-limit']));

  const missingFixture = await checkConformance(lists, { settings: acmeSettings, sampleEvents: [buildTrack()] });
  expect(missingFixture.failures.filter((f) => f.check === 'audience-sync').map((f) => f.message)).toEqual([
    'the sync settings of the sample changes are invalid (audience.sync.listId: is required): pass audienceSync',
  ]);

  const careless = { ...lists, audience: { ...lists.audience!, sync: () => Promise.reject(new Error('the vendor said no')) } };
  const report = await checkConformance(careless, { settings: acmeSettings, sampleEvents: [buildTrack()], audienceSync: { listId: '42' } });
  expect(report.failures.map((f) => f.check)).toEqual(expect.arrayContaining(['audience-sync', 'audience-rate-limit']));
});
