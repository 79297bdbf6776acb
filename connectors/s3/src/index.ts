import {
  classifyError,
  defineConnector,
  gzipJsonLines,
  throwIfFailed,
  Type,
  type BatchResult,
  type CanonicalEvent,
  type PerformContext,
} from '@switchyard/sdk-kit';
import { awsCredentials, awsCredentialSettings, awsError, awsResidencyRegions, signAwsRequest } from '@switchyard/sdk-kit/aws';
import { groupByFolder, objectName, objectUrl } from './object-keys.js';

export { folderOf, objectName, objectUrl } from './object-keys.js';

const settings = Type.Object(
  {
    bucket: Type.String({ pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$', description: 'Bucket the objects are written to; it must exist.' }),
    prefix: Type.String({
      pattern: '^$|^[A-Za-z0-9_.!*()/-]*[A-Za-z0-9_.!*()-]$',
      default: 'switchyard',
      description: 'Key prefix (no trailing slash); empty for none.',
    }),
    ...awsCredentialSettings,
    endpoint: Type.Optional(
      Type.String({
        pattern: '^https?://[^/?#]+/?$',
        description: 'Base URL of an S3-compatible store (MinIO, Ceph, R2, …), e.g. http://minio:9000; default: AWS S3 in `region`.',
      }),
    ),
    pathStyle: Type.Optional(
      Type.Boolean({ description: 'Address the bucket in the path (<endpoint>/<bucket>/<key>); default: true with `endpoint`, false on AWS.' }),
    ),
    includeRaw: Type.Boolean({ default: false, description: 'Keep the message as the source sent it (`raw`) in each line.' }),
  },
  { additionalProperties: false },
);

type Settings = typeof settings.static;
type Context = Pick<PerformContext<Settings, unknown>, 'http' | 'settings' | 'signal'>;

/** Events per object: a 1,000-event object is ~150 KB gzipped, well inside one PutObject (5 GB). */
export const MAX_EVENTS_PER_OBJECT = 1000;

function line(event: CanonicalEvent, includeRaw: boolean): unknown {
  if (includeRaw || !('raw' in event)) return event;
  const { raw: _raw, ...rest } = event;
  return rest;
}

/** Uploads one object with PutObject, signed with SigV4. */
async function putObject(ctx: Context, key: string, body: Buffer): Promise<void> {
  const url = objectUrl(ctx.settings, key);
  const headers = signAwsRequest(
    { method: 'PUT', url, headers: { 'content-type': 'application/gzip' }, body, service: 's3', region: ctx.settings.region },
    awsCredentials(ctx.settings),
  );
  try {
    await ctx.http.put(url, { body, headers, signal: ctx.signal });
  } catch (error) {
    throw awsError(error, `PutObject s3://${ctx.settings.bucket}/${key}`);
  }
}

/** One object per source and hour of the batch; a failed upload fails the events in it only. */
async function upload(ctx: Context, events: CanonicalEvent[]): Promise<BatchResult> {
  const results: BatchResult = new Array(events.length).fill(undefined);
  for (const [folder, indexes] of groupByFolder(ctx.settings.prefix, events)) {
    const group = indexes.map((i) => events[i]!);
    try {
      await putObject(ctx, `${folder}/${objectName(group)}`, gzipJsonLines(group.map((e) => line(e, ctx.settings.includeRaw))));
    } catch (error) {
      const failed = classifyError(error);
      for (const i of indexes) results[i] = failed;
    }
  }
  return results;
}

export default defineConnector({
  name: 's3',
  version: '0.1.0',
  category: 'storage',
  description: 'Writes events to S3 or an S3-compatible store as gzipped JSON Lines objects, one per source and hour of each batch.',
  settings,
  egress: (s: Settings) => [new URL(objectUrl(s, 'k')).host],
  // A custom endpoint could be anywhere: only AWS regions are known.
  regions: (s: Settings) => (s.endpoint ? [] : awsResidencyRegions(s.region)),
  defaults: { ratePerSecond: 50, maxConcurrency: 4, requestTimeoutMs: 60_000 },
  actions: {
    writeObjects: {
      title: 'Write event objects',
      description: `Every event, as one line of a gzipped JSON Lines object (up to ${MAX_EVENTS_PER_OBJECT} events an object).`,
      subscribe: { types: 'all' },
      fields: Type.Object({ event: Type.Unknown() }),
      defaultMapping: { event: { '@path': '$' } },
      batch: { maxItems: MAX_EVENTS_PER_OBJECT },
      perform: async (ctx) => throwIfFailed((await upload(ctx, [ctx.payload.event as CanonicalEvent]))[0]),
      performBatch: (ctx) =>
        upload(
          ctx,
          ctx.items.map((item) => item.payload.event as CanonicalEvent),
        ),
    },
  },
});
