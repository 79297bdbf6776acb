import { jest } from '@jest/globals';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { RecordingSink } from '../helpers/recording-sink.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'cli/bin/switchyard.js');
const TOKEN = 'operator-admin-token-0001';
const run = promisify(execFile);

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value).slice(0, 1500)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

// Each case runs the CLI several times, a Node process start each: on a loaded 2-core machine that alone takes seconds.
jest.setTimeout(90_000);

describe('the operator commands of the switchyard CLI, against a running router', () => {
  let dir: string;
  let sinkAnswer = 503;
  // /backlog always refuses: its one event stays queued, retried, for the whole run.
  const sink = new RecordingSink((r) => (r.path.startsWith('/backlog') ? { status: 503, body: {} } : { status: sinkAnswer, body: { ok: sinkAnswer === 200 } }));
  let child: ChildProcess;
  let url: string;
  let admin: string[];

  beforeAll(async () => {
    await sink.start();
    dir = mkdtempSync(join(tmpdir(), 'switchyard-cli-operator-'));
    const config = {
      storage: { dir: './data' },
      admin: { tokens: [TOKEN] },
      dsr: { gracePeriodMs: 0 },
      sources: [
        { id: 'web', type: 'segment', writeKey: 'wk_operator' },
        { id: 'ops', type: 'segment', writeKey: 'wk_ops' },
      ],
      connections: [
        {
          id: 'hook',
          connector: 'webhook',
          settings: { url: `${sink.url}/hook` },
          sources: ['web'],
          delivery: { retry: { maxAttempts: 1 }, breaker: { volumeThreshold: 1000 } },
        },
        {
          id: 'backlog',
          connector: 'webhook',
          settings: { url: `${sink.url}/backlog` },
          sources: ['ops'],
          delivery: { retry: { maxAttempts: 1000, baseDelayMs: 500, maxDelayMs: 2000 }, breaker: { volumeThreshold: 100_000 } },
        },
      ],
    };
    writeFileSync(join(dir, 'switchyard.yaml'), stringify(config));
    child = spawn(process.execPath, [BIN, 'start', '--config', join(dir, 'switchyard.yaml'), '--port', '0'], { cwd: dir });
    let stdout = '';
    url = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = stdout.match(/Switchyard listening on (http:\/\/\S+)/);
        if (match) resolve(match[1]!);
      });
      child.once('exit', (code) => reject(new Error(`exited with ${code}: ${stdout}`)));
    });
    admin = ['--url', url, '--token', TOKEN];
  });

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await sink.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const send = (batch: unknown[], writeKey = 'wk_operator') =>
    fetch(`${url}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}` },
      body: JSON.stringify({ batch }),
    }).then((r) => expect(r.status).toBe(200));

  it('prints its version from cli/package.json', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'cli/package.json'), 'utf8')) as { version: string };
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    const result = await cli(['--version']);
    expect(result).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('shows health, readiness and each connection in status', async () => {
    const result = await cli(['status', ...admin]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/health\s+ok/);
    expect(result.stdout).toMatch(/readiness\s+ready/);
    expect(result.stdout).toMatch(/CONNECTION\s+HEALTH\s+BREAKER\s+QUEUED\s+AGE\s+IN FLIGHT/);
    expect(result.stdout).toMatch(/^hook\s+\S+\s+closed\s+0\s+-\s+\d+\s+0\s+0\s+0\s+0\s+0$/m);
    const json = JSON.parse((await cli(['status', '--json', ...admin])).stdout);
    expect(json.connections.hook).toMatchObject({ queued: 0, oldestQueuedAgeSeconds: 0, delivered: 0, deadLettered: 0 });
  });

  it('shows in status how long the oldest queued delivery of a connection has waited', async () => {
    await send([{ type: 'track', event: 'Late', userId: 'u-late', messageId: 'late-1' }], 'wk_ops');
    const status = await eventually(
      () => cli(['status', ...admin]),
      (r) => /^backlog\s+\S+\s+\S+\s+1\s+([1-9]\d*s|\d+m\d{2}s)\s/m.test(r.stdout),
      'the backlog to have waited a second',
    );
    expect(status.code).toBe(0);
    const json = JSON.parse((await cli(['status', '--json', ...admin])).stdout);
    expect(json.connections.backlog.queued).toBe(1);
    expect(json.connections.backlog.oldestQueuedAgeSeconds).toBeGreaterThanOrEqual(1);
    expect(json.connections.backlog.retried).toBeGreaterThan(0);
  });

  it('lists dead letters of a failing destination, and a replay delivers them once it answers again', async () => {
    await send([
      { type: 'track', event: 'Dead One', userId: 'u-dl', messageId: 'dl-1' },
      { type: 'track', event: 'Dead Two', userId: 'u-dl', messageId: 'dl-2' },
    ]);
    const listed = await eventually(
      () => cli(['dead-letters', 'list', '--connection', 'hook', ...admin]),
      (r) => r.stdout.includes('dl-1') && r.stdout.includes('dl-2'),
      'both events to be dead letters',
    );
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/ID\s+CONNECTION\s+DEAD AT/);
    expect(listed.stdout).toMatch(/\d+\s+hook\s+\S+\s+1\s+track Dead One\s+dl-1\s+503/);
    const status = await cli(['status', ...admin]);
    expect(status.stdout).toMatch(/^hook\s+.*\s2\s+0$/m);
    const trace = await cli(['trace', 'dl-1', ...admin]);
    expect(trace.code).toBe(0);
    expect(trace.stdout).toMatch(/event dl-1 from source web/);
    expect(trace.stdout).toMatch(/routing\s+hook\s+queued/);
    expect(trace.stdout).toMatch(/delivery\s+hook\s+dead_lettered\s+HTTP_503/);
    expect(await cli(['trace', 'no-such-event', ...admin])).toMatchObject({ code: 1, stderr: expect.stringMatching(/no trace of no-such-event/) });

    sinkAnswer = 200;
    const before = sink.requests.length;
    const replayed = await cli(['dead-letters', 'replay', '--connection', 'hook', ...admin]);
    expect(replayed).toMatchObject({ code: 0, stdout: expect.stringMatching(/^replayed 2, dropped 0 .*skipped 0/) });
    const replayedAtSink = () => sink.requests.slice(before).filter((r) => ['dl-1', 'dl-2'].includes(r.body?.messageId));
    await sink.waitFor(() => replayedAtSink().length >= 2, 'the replayed events at the sink');
    expect(
      replayedAtSink()
        .map((r) => r.body.event)
        .sort(),
    ).toEqual(['Dead One', 'Dead Two']);
    const empty = await cli(['dead-letters', 'list', '--connection', 'hook', ...admin]);
    expect(empty.stdout).toBe('no dead letters for connection hook\n');

    const neither = await cli(['dead-letters', 'purge', ...admin]);
    expect(neither.code).toBe(1);
    expect(neither.stderr).toContain('pass --connection <id> or --ids 1,2');
  });

  it('adds, lists and removes a suppression', async () => {
    const added = await cli(['suppressions', 'add', 'email:gone@example.com', '--reason', 'asked by mail', ...admin]);
    expect(added.code).toBe(0);
    const id = added.stdout.match(/^suppressed email:gone@example\.com \(id (\S+)\)$/m)?.[1];
    expect(id).toBeDefined();
    const listed = await cli(['suppressions', 'list', ...admin]);
    expect(listed.stdout).toMatch(new RegExp(`^${id}\\s+email:gone@example\\.com\\s+\\S+\\s+asked by mail$`, 'm'));
    const removed = await cli(['suppressions', 'remove', id!, ...admin]);
    expect(removed).toMatchObject({ code: 0, stdout: `removed suppression ${id}\n` });
    expect((await cli(['suppressions', 'list', ...admin])).stdout).toBe('no suppressions\n');
    const again = await cli(['suppressions', 'remove', id!, ...admin]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`answered 404: no suppression with id ${id}`);
  });

  it('submits an erasure and follows it to completed', async () => {
    // The token from $SWITCHYARD_ADMIN_TOKEN, as an operator's shell would have it.
    const submitted = await cli(['dsr', 'submit', 'erasure', 'email:x@example.com', '--url', url], { SWITCHYARD_ADMIN_TOKEN: TOKEN });
    expect(submitted.code).toBe(0);
    const id = submitted.stdout.match(/^submitted erasure request ([0-9a-f-]{36})/)?.[1];
    expect(id).toBeDefined();
    const status = await eventually(
      () => cli(['dsr', 'status', id!, ...admin]),
      (r) => /: completed/.test(r.stdout),
      'the erasure to complete',
    );
    expect(status.stdout).toMatch(new RegExp(`^request ${id}: completed`));
    expect(status.stdout).toMatch(/^ {2}hook\s+skipped/m);
    const missing = await cli(['dsr', 'status', '00000000-0000-4000-8000-000000000000', ...admin]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('answered 404');
  });

  it('replays a JSON Lines archive: the good events reach the destination, a malformed line and one the router refuses are named by number', async () => {
    const file = join(dir, 'archive.jsonl');
    const event = (n: number) =>
      JSON.stringify({
        messageId: `arch-${n}`,
        type: 'track',
        event: `Archived ${n}`,
        userId: 'u-arch',
        anonymousId: null,
        identities: { user_id: 'u-arch' },
        properties: { n },
        traits: {},
        context: {},
        timestamp: '2026-01-02T03:04:05.000Z',
        receivedAt: '2026-01-02T03:04:06.000Z',
        sourceId: 'web',
      }).replace('"anonymousId":null,', '');
    writeFileSync(file, [event(1), event(2), '{"type":"track", broken', event(3), '{"type":"track","userId":"u-arch","messageId":"arch-x"}', ''].join('\n'));
    const result = await cli(['replay', file, '--source', 'web', '--config', join(dir, 'switchyard.yaml'), '--url', url]);
    expect(result.stdout).toMatch(/^sent 3, rejected 1, malformed 1 \(skipped\)/);
    expect(result.stdout).toContain('line 5: rejected by the router: event: track messages need an event name');
    expect(result.stdout).toMatch(/line 3: malformed, skipped: not JSON/);
    expect(result.code).toBe(1);
    expect(result.stderr).not.toMatch(/at .*\.js:\d+/);
    await sink.waitFor(() => ['arch-1', 'arch-2', 'arch-3'].every((m) => sink.events().some((e) => e.messageId === m)), 'the archived events');
    expect(sink.events().find((e) => e.messageId === 'arch-2')).toMatchObject({ event: 'Archived 2', userId: 'u-arch', properties: { n: 2 } });

    const wrongKey = await cli(['replay', file, '--source', 'web', '--write-key', 'nope', '--url', url]);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toContain('the router refused the write key (403 INVALID_WRITE_KEY)');
  });

  it('says what to do when the router cannot be reached', async () => {
    const result = await cli(['status', '--url', 'http://127.0.0.1:1', '--token', TOKEN]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^switchyard: cannot reach the router at http:\/\/127\.0\.0\.1:1 .*is it running\? pass --url/);
  });
});
