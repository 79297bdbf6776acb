import { isAbsolute, join } from 'node:path';
import { defineConnector, Type } from '@switchyard/sdk-kit';
import { RotatingFile } from './rotating-file.js';
import { eraseSubject, exportSubject } from './subject-files.js';

export { RotatingFile } from './rotating-file.js';

const settings = Type.Object(
  {
    directory: Type.Optional(
      Type.String({
        minLength: 1,
        description: "Where files go; relative paths are inside this connection's data directory (default: its `files/`).",
      }),
    ),
    prefix: Type.String({ pattern: '^[A-Za-z0-9_.-]+$', default: 'events' }),
    rotateBytes: Type.Integer({ minimum: 1024, default: 64 * 1024 * 1024, description: 'Start a new file past this size.' }),
    rotateSeconds: Type.Integer({ minimum: 1, default: 3600, description: 'Start a new file after this long.' }),
    includeRaw: Type.Boolean({ default: false, description: 'Keep the message as the source sent it (`raw`).' }),
  },
  { additionalProperties: false },
);

// One writer per directory and thread; the connector runs in a single worker (defaults.maxWorkers), so
// erasure, which rewrites files, runs in the same thread as every append to them.
const writers = new Map<string, RotatingFile>();

function writerFor(dataDir: string, s: typeof settings.static): RotatingFile {
  const dir = s.directory ? (isAbsolute(s.directory) ? s.directory : join(dataDir, s.directory)) : join(dataDir, 'files');
  const key = `${dir}\0${s.prefix}`;
  let writer = writers.get(key);
  if (!writer) {
    writer = new RotatingFile(dir, s.prefix, { maxBytes: s.rotateBytes, maxAgeMs: s.rotateSeconds * 1000 });
    writers.set(key, writer);
  }
  return writer;
}

export default defineConnector({
  name: 'file',
  version: '0.1.0',
  category: 'storage',
  description: 'Appends delivered events as JSON Lines under the storage directory, rotating by size and time.',
  settings,
  egress: [],
  // Files stay on this machine: allowed under any residency setting.
  regions: ['local'],
  defaults: { maxWorkers: 1 },
  actions: {
    append: {
      title: 'Append events',
      subscribe: { types: 'all' },
      fields: Type.Object({ record: Type.Unknown() }),
      defaultMapping: { record: { '@path': '$' } },
      batch: { maxItems: 1000 },
      perform(ctx) {
        writerFor(ctx.dataDir, ctx.settings).append(line(ctx.payload.record, ctx.settings.includeRaw));
      },
      performBatch(ctx) {
        const chunk = ctx.items.map((item) => line(item.payload.record, ctx.settings.includeRaw)).join('');
        writerFor(ctx.dataDir, ctx.settings).append(chunk);
      },
    },
  },
  async onDelete(ctx) {
    const removed = await eraseSubject(writerFor(ctx.dataDir, ctx.settings), ctx.user.identities);
    ctx.log.debug({ removed }, "erased the subject's lines");
  },
  onExport(ctx) {
    return exportSubject(writerFor(ctx.dataDir, ctx.settings), ctx.user.identities);
  },
});

function line(record: unknown, includeRaw: boolean): string {
  if (!includeRaw && record && typeof record === 'object' && 'raw' in record) {
    const { raw: _raw, ...rest } = record as Record<string, unknown>;
    return `${JSON.stringify(rest)}\n`;
  }
  return `${JSON.stringify(record)}\n`;
}
