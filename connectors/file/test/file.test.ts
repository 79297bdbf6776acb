import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildIdentify, buildTrack, createTestHarness } from '@switchyard/sdk-kit/testing';
import connector, { RotatingFile } from '../src/index.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function fileConnection(settings: Record<string, unknown> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'sy-file-'));
  dirs.push(dataDir);
  const harness = createTestHarness(connector, { settings, dataDir });
  const filesDir = join(dataDir, 'files');
  const files = () =>
    readdirSync(filesDir)
      .filter((f) => f.endsWith('.jsonl'))
      .sort()
      .map((f) => join(filesDir, f));
  const lines = () =>
    files().flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { messageId: string }),
    );
  return { harness, filesDir, files, messageIds: () => lines().map((l) => l.messageId) };
}

const ada = (messageId: string, type: 'identify' | 'track' = 'track') =>
  type === 'identify'
    ? {
        ...buildIdentify({ messageId, userId: 'u-ada', anonymousId: 'a-ada' }),
        identities: { user_id: 'u-ada', anonymous_id: 'a-ada', email: 'Ada@Example.com' },
      }
    : // A later event that names the user by id only: found through the id recorded beside the email.
      { ...buildTrack({ messageId, userId: 'u-ada' }), anonymousId: undefined, identities: { user_id: 'u-ada' } };
const other = (messageId: string) => ({
  ...buildTrack({ messageId, userId: 'u-other', anonymousId: 'a-other' }),
  identities: { user_id: 'u-other', anonymous_id: 'a-other', email: 'other@example.com' },
});

test("erasure by email, in any case, removes the subject's lines and those of the ids recorded with it, and keeps everyone else's", async () => {
  const { harness, messageIds } = fileConnection();
  await harness.run([ada('ada-identify', 'identify'), other('other-1'), ada('ada-track'), other('other-2')]);
  const { result } = await harness.runDelete({ email: ' ADA@example.com ' });
  expect(result).toEqual({ status: 'ok' });
  expect(messageIds()).toEqual(['other-1', 'other-2']);
});

test('erasure leaves files without the subject untouched and rewrites the others in place', async () => {
  const { harness, files } = fileConnection({ rotateBytes: 1024 });
  await harness.run([other('o-1'), other('o-2'), other('o-3')]);
  await harness.run([ada('ada-1')]);
  const before = files();
  expect(before.length).toBeGreaterThan(1);
  const untouched = before.slice(0, -1).map((f) => statSync(f).ino);
  expect((await harness.runDelete({ user_id: 'u-ada' })).result).toEqual({ status: 'ok' });
  expect(files()).toEqual(before);
  expect(before.slice(0, -1).map((f) => statSync(f).ino)).toEqual(untouched);
  expect(readdirSync(join(before[0]!, '..')).filter((f) => f.includes('erasing'))).toEqual([]);
});

test('appends that run while an erasure rewrites the current file are all kept', async () => {
  const { harness, messageIds } = fileConnection();
  await harness.run(Array.from({ length: 3000 }, (_, i) => (i % 3 === 0 ? ada(`ada-${i}`) : other(`early-${i}`))));
  let erased = false;
  const erasing = harness.runDelete({ user_id: 'u-ada' }).finally(() => {
    erased = true;
  });
  // Each append is its own task, as the worker's are (a message each), so they interleave with the erasure's
  // reads, fsync and rename.
  const late: string[] = [];
  while (!erased && late.length < 100_000) {
    await new Promise((resolve) => setImmediate(resolve));
    late.push(`late-${late.length}`);
    await harness.run(other(late.at(-1)!));
  }
  expect((await erasing).result).toEqual({ status: 'ok' });
  expect(late.length).toBeGreaterThan(1);
  const ids = messageIds();
  expect(ids.filter((id) => id.startsWith('ada-'))).toEqual([]);
  expect(ids.filter((id) => id.startsWith('early-'))).toHaveLength(2000);
  expect(ids.filter((id) => id.startsWith('late-'))).toEqual(late);
});

test('erasure and export by profile id alone find the lines of the events resolved to that profile, whatever ids they carry', async () => {
  const { harness, messageIds } = fileConnection();
  const profile = '-4512889312377821203';
  await harness.run([
    { ...other('profile-1'), profileId: profile },
    { ...ada('profile-2'), profileId: profile },
    { ...other('other-profile'), profileId: '7305816447411432790' },
    other('no-profile'),
  ]);
  const { result, records } = await harness.runExport({ profile_id: profile });
  expect(result).toEqual({ status: 'ok' });
  expect(records.map((r) => r.data.messageId)).toEqual(['profile-1', 'profile-2']);
  expect((await harness.runDelete({ profile_id: profile })).result).toEqual({ status: 'ok' });
  expect(messageIds()).toEqual(['other-profile', 'no-profile']);
});

test('export reads back every line of the subject with its file as the source', async () => {
  const { harness, files } = fileConnection();
  await harness.run([ada('ada-identify', 'identify'), other('other-1'), ada('ada-track')]);
  const { result, records } = await harness.runExport({ email: 'ada@example.com' });
  expect(result).toEqual({ status: 'ok' });
  const file = files()[0]!.split('/').pop();
  expect(records.map((r) => [r.source, r.data.messageId])).toEqual([
    [file, 'ada-identify'],
    [file, 'ada-track'],
  ]);
});

test('files opened within one millisecond sort in the order they were opened, so the newest is resumed after a restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-file-order-'));
  try {
    const writer = new RotatingFile(dir, 'events', { maxBytes: 10, maxAgeMs: 60_000 });
    const now = Date.now();
    const written = ['first', 'second', 'third'].map((word) => writer.append(`${JSON.stringify({ word })}\n`, now));
    expect(new Set(written).size).toBe(3);
    expect(writer.files()).toEqual(written);
    expect(new RotatingFile(dir, 'events', { maxBytes: 1024, maxAgeMs: 60_000 }).append('{"word":"fourth"}\n', now)).toBe(written[2]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
