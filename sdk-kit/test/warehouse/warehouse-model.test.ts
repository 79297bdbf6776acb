import {
  eventToRows,
  fitRows,
  fitValue,
  inferType,
  planSchemaChanges,
  toIdentifier,
  toSnakeCase,
  WarehouseWriter,
  type WarehouseSchema,
  type WarehouseStore,
} from '../../src/warehouse/index.js';
import type { CanonicalEvent } from '../../src/types.js';

const event = (overrides: Partial<CanonicalEvent> = {}): CanonicalEvent => ({
  messageId: 'm-1',
  type: 'track',
  event: 'Order Completed',
  userId: 'u-1',
  identities: {},
  traits: {},
  properties: {},
  context: {},
  timestamp: '2026-11-20T10:00:00.000Z',
  receivedAt: '2026-11-20T10:00:01.000Z',
  sourceId: 's-1',
  ...overrides,
});

describe('names', () => {
  test.each([
    ['firstName', 'first_name'],
    ['Order Completed', 'order_completed'],
    ['utm-source', 'utm_source'],
    ['HTTPStatus', 'http_status'],
    ['  __weird..name__ ', 'weird_name'],
    ['prénom', 'pr_nom'],
  ])('%s snake-cases to %s', (input, expected) => expect(toSnakeCase(input)).toBe(expected));

  test('identifiers never start with a digit and long names stay distinct within 63 characters', () => {
    expect(toIdentifier('3d secure')).toBe('_3d_secure');
    expect(toIdentifier('!!!')).toBe('unnamed');
    const a = toIdentifier(`${'very long property name '.repeat(5)}a`);
    const b = toIdentifier(`${'very long property name '.repeat(5)}b`);
    expect(a.length).toBeLessThanOrEqual(63);
    expect(a).not.toBe(b);
  });
});

describe('types', () => {
  test.each([
    [true, 'boolean'],
    [42, 'bigint'],
    [4.2, 'double'],
    [2 ** 60, 'double'],
    ['2026-11-20T10:00:00Z', 'timestamp'],
    ['2026-11-20 10:00:00.123+02:00', 'timestamp'],
    ['2026-11-20', 'text'],
    ['hello', 'text'],
    [[1, 2], 'json'],
    [{ a: 1 }, 'json'],
  ])('%p is inferred as %s', (value, type) => expect(inferType(value)).toBe(type));

  test('null makes no column', () => expect(inferType(null)).toBeUndefined());

  test('values fit wider columns but never force a column to change', () => {
    expect(fitValue('double', 3)).toEqual({ fits: true, value: 3 });
    expect(fitValue('bigint', 3.5)).toEqual({ fits: false, valueType: 'double' });
    expect(fitValue('text', 12)).toEqual({ fits: true, value: '12' });
    expect(fitValue('timestamp', '2026-11-20T12:00:00+02:00')).toEqual({ fits: true, value: '2026-11-20T10:00:00.000Z' });
    expect(fitValue('timestamp', 'yesterday')).toEqual({ fits: false, valueType: 'text' });
    expect(fitValue('boolean', 'true')).toEqual({ fits: false, valueType: 'text' });
    expect(fitValue('json', { a: 1 })).toEqual({ fits: true, value: '{"a":1}' });
  });
});

describe('rows', () => {
  test('a track becomes a tracks row and an event-table row with flattened, snake_cased properties and context', () => {
    const [track, detail] = eventToRows(
      event({
        properties: { orderId: 'o-1', shipping: { address: { zipCode: '75001' } }, user_id: 'spoof', deep: { a: { b: { c: 1 } } } },
        context: { page: { url: 'https://x.example' } },
      }),
      '2026-11-20T10:00:02.000Z',
    );
    expect(track!.table).toBe('tracks');
    expect(track!.values).not.toHaveProperty('order_id');
    expect(detail!.table).toBe('order_completed');
    expect(detail!.values).toMatchObject({
      id: 'm-1',
      event: 'order_completed',
      event_text: 'Order Completed',
      order_id: 'o-1',
      shipping_address_zip_code: '75001',
      context_page_url: 'https://x.example',
      user_id: 'u-1',
      property_user_id: 'spoof',
      deep_a_b: { c: 1 },
      loaded_at: '2026-11-20T10:00:02.000Z',
    });
  });

  test("every row carries the event's profile id as profile_id; a property named profile_id is prefixed instead", () => {
    const rows = eventToRows(event({ profileId: '-4512889312377821203', properties: { profile_id: 'spoof' } }));
    expect(rows.map((r) => [r.table, r.values.profile_id])).toEqual([
      ['tracks', '-4512889312377821203'],
      ['order_completed', '-4512889312377821203'],
    ]);
    expect(rows[1]!.values.property_profile_id).toBe('spoof');
    expect(eventToRows(event({ type: 'identify' }))[0]!.values.profile_id).toBeUndefined();
  });

  test('an event named like a standard table gets its own prefixed table', () => {
    expect(eventToRows(event({ event: 'Pages' }))[1]!.table).toBe('event_pages');
  });

  test.each([
    ['identify', 'identifies'],
    ['page', 'pages'],
    ['screen', 'screens'],
    ['group', 'groups'],
    ['alias', 'aliases'],
  ] as const)('%s goes to %s', (type, table) => {
    expect(eventToRows(event({ type })).map((r) => r.table)).toEqual([table]);
  });

  test('two properties with the same column name: the first wins, the second is discarded', () => {
    const rows = eventToRows(event({ properties: { firstName: 'A', first_name: 'B' } }));
    const { inserts, discards } = fitRows(
      rows.map((row) => ({ row, itemIndex: 0 })),
      new Map(rows.map((r) => [r.table, new Map(Object.keys(r.values).map((c) => [c, 'text' as const]))])),
    );
    expect(inserts.find((i) => i.table === 'order_completed')!.columns.map((c) => c.name)).toContain('first_name');
    expect(discards).toEqual([expect.objectContaining({ column: 'first_name', value: 'B', reason: expect.stringMatching(/another property/) })]);
  });
});

describe('schema evolution', () => {
  test('a batch with integers and decimals for a new column makes it double; an existing column is never changed', () => {
    const rows = [
      ...eventToRows(event({ messageId: 'a', properties: { price: 1, sku: 'x' } })),
      ...eventToRows(event({ messageId: 'b', properties: { price: 1.5, sku: 7 } })),
    ];
    const schema: WarehouseSchema = new Map([
      [
        'order_completed',
        new Map([
          ['id', 'text'],
          ['sku', 'text'],
        ]),
      ],
    ]);
    const change = planSchemaChanges(rows, schema).find((c) => c.table === 'order_completed')!;
    expect(change.create).toBe(false);
    expect(change.columns).toContainEqual({ name: 'price', type: 'double' });
    expect(change.columns.map((c) => c.name)).not.toContain('sku');
    expect(planSchemaChanges(rows, schema).find((c) => c.table === 'tracks')).toMatchObject({ create: true, primaryKey: ['id'] });
  });
});

describe('schema evolution of common columns', () => {
  test('a table created before profile_id existed gets the column on its next write, even from events without a profile id', () => {
    const before = [
      'id',
      'received_at',
      'timestamp',
      'sent_at',
      'original_timestamp',
      'loaded_at',
      'user_id',
      'anonymous_id',
      'source_id',
      'event',
      'event_text',
    ];
    const schema: WarehouseSchema = new Map([['tracks', new Map(before.map((c) => [c, c.endsWith('_at') || c === 'timestamp' ? 'timestamp' : 'text']))]]);
    const change = planSchemaChanges(eventToRows(event()), schema).find((c) => c.table === 'tracks');
    expect(change).toEqual({ table: 'tracks', create: false, columns: [{ name: 'profile_id', type: 'text' }], primaryKey: ['id'] });
  });
});

describe('WarehouseWriter', () => {
  function memoryStore(failOn?: (row: unknown[]) => boolean): WarehouseStore & { tables: Map<string, unknown[][]>; statements: number } {
    const schema: WarehouseSchema = new Map();
    const tables = new Map<string, unknown[][]>();
    return {
      tables,
      statements: 0,
      maxRowsPerInsert: 2,
      async describe() {
        return new Map([...schema].map(([t, c]) => [t, new Map(c)]));
      },
      async createTable(table, columns) {
        schema.set(table, new Map(columns.map((c) => [c.name, c.type])));
        tables.set(table, []);
      },
      async addColumns(table, columns) {
        for (const c of columns) schema.get(table)!.set(c.name, c.type);
      },
      async insert(table, _columns, rows) {
        this.statements += 1;
        if (failOn && rows.some(failOn)) throw Object.assign(new Error('bad row'), { response: { statusCode: 400 } });
        tables.get(table)!.push(...rows);
      },
      async deleteWhere() {},
    };
  }

  test("splits inserts by the store's row limit", async () => {
    const store = memoryStore();
    const results = await new WarehouseWriter(store).write(['a', 'b', 'c'].map((id) => event({ messageId: id, type: 'identify' })));
    expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }, { status: 'ok' }]);
    expect(store.tables.get('identifies')).toHaveLength(3);
    expect(store.statements).toBe(2);
  });

  test('when a multi-row insert fails permanently, only the bad event fails', async () => {
    const store = memoryStore((row) => row.includes('bad'));
    const results = await new WarehouseWriter(store).write(['good', 'bad'].map((id) => event({ messageId: id, type: 'identify' })));
    expect(results[0]).toEqual({ status: 'ok' });
    expect(results[1]).toMatchObject({ status: 'permanent', code: 'HTTP_400' });
    expect(store.tables.get('identifies')).toHaveLength(1);
  });
});
