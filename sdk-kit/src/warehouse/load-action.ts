import { Type, type TObject } from '@sinclair/typebox';
import type { Got } from 'got';
import type { ActionDefinition, AudienceDefinition, DeleteContext, ExportContext } from '../define-connector.js';
import type { ItemResult, SubjectIdentity, SubjectRecord, CanonicalEvent } from '../types.js';
import type { MembershipChange } from './audience-memberships.js';
import { errorForResult, WarehouseWriter, type WarehouseStore } from './warehouse-writer.js';

/** What a warehouse connector needs from its context to find its writer. */
export interface WarehouseContext<Settings> {
  settings: Settings;
  connectionId: string;
  http: Got;
  dataDir: string;
}

export interface EventWriter {
  write(events: readonly CanonicalEvent[]): Promise<ItemResult[]>;
  writeMemberships(change: MembershipChange): Promise<Array<ItemResult | undefined>>;
  deleteUser(user: SubjectIdentity): Promise<void>;
  exportUser(user: SubjectIdentity): Promise<SubjectRecord[]>;
}

type WriterFor<Settings> = (ctx: WarehouseContext<Settings>) => EventWriter | Promise<EventWriter>;

/**
 * A `writerFor` keeping one writer (with the schema it has learned) per connection and settings in each worker
 * thread, over the store `storeFor` makes the first time.
 */
export function writerPerConnection<Settings>(storeFor: (ctx: WarehouseContext<Settings>) => WarehouseStore): WriterFor<Settings> {
  const writers = new Map<string, WarehouseWriter>();
  return (ctx) => {
    const key = `${ctx.connectionId}\0${JSON.stringify(ctx.settings)}`;
    let writer = writers.get(key);
    if (!writer) {
      writer = new WarehouseWriter(storeFor(ctx));
      writers.set(key, writer);
    }
    return writer;
  };
}

const fields = Type.Object({}, { description: 'Tables and columns come from the whole event; there is nothing to map.' });

/** Rows per audience sync call into `audience_memberships`. */
export const MAX_MEMBERSHIPS_PER_CALL = 1000;

/**
 * The `load` action, `onDelete` and `onExport` every warehouse connector shares: each event becomes rows in
 * the Segment-style tables (docs/warehouses.md), per-row failures become per-item results, an erasure
 * deletes the user's rows and an access request reads the same rows back. With `audiences`, audience syncs keep
 * the `audience_memberships` table (the writer's store must implement `upsertMemberships`). A connector only says
 * how to reach its writer.
 */
export function warehouseConnectorParts<Settings>(
  writerFor: WriterFor<Settings>,
  batch: { maxItems: number },
  options: { audiences?: boolean } = {},
): {
  // The load action maps nothing: it writes the whole event.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  actions: { load: ActionDefinition<Settings, TObject<{}>> };
  onDelete: (ctx: DeleteContext<Settings>) => Promise<void>;
  onExport: (ctx: ExportContext<Settings>) => Promise<SubjectRecord[]>;
  audience?: AudienceDefinition<Settings>;
} {
  return {
    ...(options.audiences
      ? {
          audience: {
            // Every identifier is recorded; the row is keyed by the person's profile id.
            identifiers: 'all',
            maxMembersPerCall: MAX_MEMBERSHIPS_PER_CALL,
            async sync(ctx) {
              return (await writerFor(ctx)).writeMemberships({ audience: ctx.audience, action: ctx.action, members: ctx.members });
            },
          } satisfies AudienceDefinition<Settings>,
        }
      : {}),
    actions: {
      load: {
        title: 'Load events into tables',
        description: 'Every event becomes rows in the Segment-style warehouse tables; see docs/warehouses.md.',
        subscribe: { types: 'all' },
        fields,
        defaultMapping: {},
        batch,
        async perform(ctx) {
          const [result] = await (await writerFor(ctx)).write([ctx.event]);
          if (result && result.status !== 'ok') throw errorForResult(result);
        },
        async performBatch(ctx) {
          return (await writerFor(ctx)).write(ctx.items.map((i) => i.event));
        },
      },
    },
    async onDelete(ctx) {
      await (await writerFor(ctx)).deleteUser(ctx.user);
    },
    async onExport(ctx) {
      return (await writerFor(ctx)).exportUser(ctx.user);
    },
  };
}
