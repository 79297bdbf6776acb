import { jest } from '@jest/globals';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { startCliRouter, type CliRouter } from '../helpers/cli-router.js';
import { mailchimpConnection, mailchimpSegment } from '../helpers/mailchimp-segment.js';
import { RecordingSink } from '../helpers/recording-sink.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'cli/bin/switchyard.js');
const TOKEN = 'audiences-admin-token-0001';
const REFUSED_EMAIL = 'refused@example.com';

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with pipes for stdout and stderr (no terminal), as a script or CI job would. */
function cli(args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Runs the CLI under util-linux `script`, so its stdout and stderr are a pseudo-terminal, as when an operator types it. */
function cliInTerminal(args: string[]): Promise<CliResult> {
  const quote = (arg: string) => `'${arg.replaceAll("'", "'\\''")}'`;
  return new Promise((resolve) => {
    const child = spawn('script', ['-qfec', [process.execPath, BIN, ...args].map(quote).join(' '), '/dev/null'], { cwd: ROOT });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.once('exit', (code) => resolve({ code: code ?? 1, stdout, stderr: '' }));
  });
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
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

// Each case runs the CLI (a Node process start each) and waits for deliveries: seconds on a loaded 2-core machine.
jest.setTimeout(90_000);

describe('switchyard audiences, against a running router with webhook audience syncs', () => {
  let dir: string;
  let router: CliRouter;
  let admin: string[];
  /** While set, the receiver holds its answers until it is resolved. */
  let hold: Promise<void> | undefined;
  // The receiver refuses one person per call, as the webhook format lets it (an `errors` entry with the member's index).
  const receiver = new RecordingSink(async (r) => {
    await hold;
    const members = (r.body?.members ?? []) as Array<{ identifiers: Record<string, string> }>;
    const errors = members.flatMap((m, index) => (m.identifiers.email === REFUSED_EMAIL ? [{ index, status: 422, message: 'unknown contact' }] : []));
    return { status: 200, body: errors.length ? { errors } : { ok: true } };
  });

  const { segment, api: mailchimp } = mailchimpSegment(['stranger@example.com']);

  /** The config, with or without the `pro` audience's sync to `crm`. */
  const configWith = (proSyncs: unknown[]) => ({
    storage: { dir: './data' },
    admin: { tokens: [TOKEN] },
    sources: [{ id: 'web', type: 'segment', writeKey: 'wk_audiences' }],
    connections: [
      {
        id: 'crm',
        connector: 'webhook',
        settings: { url: `${receiver.url}/crm` },
        delivery: { retry: { maxAttempts: 1 }, breaker: { volumeThreshold: 1000 } },
      },
      mailchimpConnection('mc', mailchimp.url),
    ],
    audiences: [
      { key: 'pro', name: 'Pro plan', rule: { field: 'traits.plan', equals: 'pro' }, syncs: proSyncs },
      {
        key: 'trial',
        rule: { field: 'traits.plan', equals: 'trial' },
        syncs: [
          { connection: 'crm', mode: 'add-only' },
          { connection: 'mc', mode: 'mirror', every: '1h', settings: { segmentId: '9001' } },
        ],
      },
    ],
  });

  const identify = async (userId: string, email: string, plan: string) => {
    const response = await fetch(`${router.url}/v1/identify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('wk_audiences:').toString('base64')}` },
      body: JSON.stringify({ userId, traits: { email, plan } }),
    });
    expect(response.status).toBe(200);
  };

  const audienceCalls = (audience: string) => receiver.requests.filter((r) => r.body?.type === 'audience' && r.body.audience?.key === audience);

  beforeAll(async () => {
    await Promise.all([receiver.start(), mailchimp.start()]);
    dir = mkdtempSync(join(tmpdir(), 'switchyard-cli-audiences-'));
    writeFileSync(join(dir, 'switchyard.yaml'), stringify(configWith([])));
    router = await startCliRouter(join(dir, 'switchyard.yaml'), { cwd: dir });
    admin = ['--url', router.url, '--token', TOKEN];
    // Three people join `pro` before it has a sync; one joins `trial`, whose sync adds her at once.
    await identify('u-ada', 'ada@example.com', 'pro');
    await identify('u-bob', 'bob@example.com', 'pro');
    await identify('u-refused', REFUSED_EMAIL, 'pro');
    await identify('u-tia', 'tia@example.com', 'trial');
    await receiver.waitFor(() => audienceCalls('trial').length >= 1, 'the trial sync adding tia');
    await mailchimp.waitFor(() => segment.has('tia@example.com'), 'the mirror sync adding tia to the segment');
  }, 60_000);

  afterAll(async () => {
    await router?.stop();
    await Promise.all([receiver.stop(), mailchimp.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows the backfill of a sync added by a reload while it runs, and refuses a second one, saying how to follow the first', async () => {
    let release!: () => void;
    hold = new Promise((resolve) => (release = resolve));
    try {
      writeFileSync(join(dir, 'switchyard.yaml'), stringify(configWith([{ connection: 'crm' }])));
      process.kill(router.pid, 'SIGHUP');
      await router.waitForOutput(/config reloaded/, 'the reload adding the pro sync');
      await receiver.waitFor(() => audienceCalls('pro').length > 0, 'the backfill of pro reaching the receiver');
      const status = await cli(['audiences', 'status', ...admin]);
      expect(status.stdout).toMatch(/^pro\s+crm\s+add-remove\s+backfilling \d\/3 processed\s+\d\s/m);
      const second = await cli(['audiences', 'backfill', 'pro', 'crm', ...admin]);
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/^switchyard: pro\/crm is already running a backfill \(\d\/3 processed; .+\): wait for it to finish/m);
      expect(second.stderr).toContain('switchyard audiences status pro crm');
    } finally {
      release();
      hold = undefined;
    }
    await eventually(
      () => cli(['audiences', 'status', ...admin]),
      (r) => /^pro\s+crm\s+add-remove\s+live\s/m.test(r.stdout),
      'the backfill to finish',
    );
  });

  it('lists every sync with its mode, state, members and last run, as a table and as JSON', async () => {
    const table = await cli(['audiences', 'status', ...admin]);
    expect(table).toMatchObject({ code: 0, stderr: '' });
    expect(table.stdout).toMatch(/^AUDIENCE\s+CONNECTION\s+MODE\s+STATE\s+MEMBERS\s+LAST RUN\s+ADDED\s+REMOVED\s+UNMATCHED\s+FAILED\s+FINISHED$/m);
    expect(table.stdout).toMatch(/^pro\s+crm\s+add-remove\s+live\s+\d\s+backfill succeeded\s+2\s+0\s+0\s+1\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/m);
    expect(table.stdout).toMatch(/^trial\s+crm\s+add-only\s+live\s+1\s/m);
    expect(table.stdout).toMatch(/^trial\s+mc\s+mirror every 1h\s+live\s+1\s/m);

    const json = JSON.parse((await cli(['audiences', 'status', '--json', ...admin])).stdout) as Array<Record<string, unknown>>;
    expect(json).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ audience: 'pro', connection: 'crm', mode: 'add-remove', state: 'live', current: null }),
        expect.objectContaining({ audience: 'trial', connection: 'crm', mode: 'add-only', members: 1 }),
      ]),
    );
    const onlyTrial = await cli(['audiences', 'status', 'trial', ...admin]);
    expect(onlyTrial.stdout).toMatch(/^trial\s+crm\s/m);
    expect(onlyTrial.stdout).not.toMatch(/^pro\s/m);
  });

  it("shows one sync's runs, newest first, with the error samples of the refused member", async () => {
    const result = await cli(['audiences', 'status', 'pro', 'crm', ...admin]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^sync\s+pro\/crm$/m);
    expect(result.stdout).toMatch(/^mode\s+add-remove \(as audience\)$/m);
    expect(result.stdout).toMatch(/^RUN\s+KIND\s+STATUS\s+STARTED\s+FINISHED\s+PROCESSED\s+ADDED\s+REMOVED\s+UNMATCHED\s+FAILED$/m);
    const runs = result.stdout.split('\n').filter((line) => /^\S+\s+(backfill|reconcile|changes)\s+(running|succeeded|failed)\s/.test(line));
    expect(runs[0]).toMatch(/^\S+\s+backfill\s+succeeded\s.*\s3\/3\s+2\s+0\s+0\s+1$/);
    expect(result.stdout).toMatch(/^errors of run \S+ \(backfill, /m);
    expect(result.stdout).toMatch(/unknown contact/);

    const json = JSON.parse((await cli(['audiences', 'status', 'pro', 'crm', '--json', ...admin])).stdout);
    expect(json.sync).toMatchObject({ audience: 'pro', connection: 'crm' });
    expect(json.runs[0]).toMatchObject({ kind: 'backfill', status: 'succeeded', total: 3, processed: 3, added: 2, failed: 1 });
    expect(json.runs[0].errors).toEqual(expect.arrayContaining([expect.objectContaining({ message: expect.stringContaining('unknown contact') })]));
  });

  it('backfills again without a terminal: plain progress lines, the counts, and nobody the sync already added is sent twice', async () => {
    const before = audienceCalls('pro').length;
    const result = await cli(['audiences', 'backfill', 'pro', 'crm', ...admin]);
    expect(result.stderr).toMatch(/^backfill of pro\/crm started \(run \S+\)$/m);
    expect(result.stderr).not.toContain(`\u001b[`);
    expect(result.stderr).not.toMatch(/[\u2588\u2591]/);
    expect(result.stdout).toMatch(/^backfill of pro\/crm succeeded in \d+\.\d s: 3\/3 processed, 0 added, 0 removed, 0 unmatched, 0 failed$/m);
    expect(result.code).toBe(0);
    expect(audienceCalls('pro').length).toBe(before);
    const json = JSON.parse((await cli(['audiences', 'backfill', 'pro', 'crm', '--json', ...admin])).stdout);
    expect(json).toMatchObject({ kind: 'backfill', status: 'succeeded', total: 3, processed: 3, added: 0 });
  });

  it('draws a progress bar on a terminal and ends with the counts', async () => {
    const result = await cliInTerminal(['audiences', 'backfill', 'trial', 'crm', ...admin]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/backfill trial\/crm \[\u2588+\] 1\/1 members \| 0 added, 0 removed, 0 unmatched, 0 failed/);
    expect(result.stdout).toMatch(/backfill of trial\/crm succeeded in \d+\.\d s: 1\/1 processed, 0 added, 0 removed, 0 unmatched, 0 failed/);
  });

  it('reconciles a mirror sync: the segment loses whom it should not hold and gets back whom it lost', async () => {
    // Someone removed tia from the segment in Mailchimp; the stranger was never a member of trial.
    segment.delete('tia@example.com');
    const before = mailchimp.requests.length;
    const result = await cli(['audiences', 'reconcile', 'trial', 'mc', ...admin]);
    expect(result.stderr).toMatch(/^reconcile of trial\/mc started \(run \S+\)$/m);
    expect(result.stdout).toMatch(/^reconcile of trial\/mc succeeded in \d+\.\d s: \d+\/\d+ processed, 1 added, 1 removed, 0 unmatched, 0 failed$/m);
    expect(result.code).toBe(0);
    expect([...segment]).toEqual(['tia@example.com']);
    const changes = mailchimp.requests
      .slice(before)
      .filter((r) => r.method === 'POST')
      .map((r) => r.body);
    expect(changes).toEqual(expect.arrayContaining([{ members_to_add: ['tia@example.com'] }, { members_to_remove: ['stranger@example.com'] }]));
    const status = await cli(['audiences', 'status', 'trial', 'mc', ...admin]);
    expect(status.stdout).toMatch(/^mode\s+mirror every 1h \(as audience\)$/m);
    expect(status.stdout).toMatch(/^\S+\s+reconcile\s+succeeded\s.*\s1\s+1\s+0\s+0$/m);
  });

  it('explains a 404 and a reconcile of a sync that is not a mirror', async () => {
    const missing = await cli(['audiences', 'backfill', 'nobody', 'crm', ...admin]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^switchyard: no sync of audience nobody to connection crm \(.+\); list the syncs with switchyard audiences status/m);
    const missingStatus = await cli(['audiences', 'status', 'pro', 'elsewhere', ...admin]);
    expect(missingStatus.code).toBe(1);
    expect(missingStatus.stderr).toContain('no sync of audience pro to connection elsewhere');
    const noAudience = await cli(['audiences', 'status', 'nobody', ...admin]);
    expect(noAudience.code).toBe(1);
    expect(noAudience.stderr).toMatch(/audience nobody has no syncs; the audiences with syncs are: pro, trial/);

    const notMirror = await cli(['audiences', 'reconcile', 'pro', 'crm', ...admin]);
    expect(notMirror.code).toBe(1);
    expect(notMirror.stderr).toMatch(/pro\/crm is an add-remove sync, and only a mirror sync reconciles/);
    expect(notMirror.stderr).toContain('set mode: mirror');
  });

  it('says what to do when the router cannot be reached', async () => {
    const port = await closedPort();
    for (const args of [
      ['audiences', 'status'],
      ['audiences', 'backfill', 'pro', 'crm'],
    ]) {
      const result = await cli([...args, '--url', `http://127.0.0.1:${port}`, '--token', TOKEN]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(new RegExp(`cannot reach the router at http://127.0.0.1:${port} .*is it running\\? pass --url to point elsewhere`));
    }
  });
});
