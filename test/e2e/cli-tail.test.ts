import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { startCliRouter, type CliRouter } from '../helpers/cli-router.js';
import { RecordingSink } from '../helpers/recording-sink.js';

const BIN = join(fileURLToPath(new URL('../../', import.meta.url)), 'cli/bin/switchyard.js');
const TOKEN = 'tail-admin-token-00000001';

/** `switchyard tail` as an operator runs it: a child process reading the live view until Ctrl-C. */
function tail(args: string[], cwd: string) {
  const child = spawn(process.execPath, [BIN, 'tail', ...args], {
    cwd,
    env: { ...process.env, SWITCHYARD_ADMIN_TOKEN: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const waitFor = async (pattern: RegExp, what: string) => {
    const deadline = Date.now() + 20_000;
    while (!pattern.test(stdout)) {
      if (child.exitCode !== null) throw new Error(`tail exited before ${what}: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; tail printed:\n${stdout}\n${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  return { child, exited, waitFor, stdout: () => stdout, stderr: () => stderr };
}

describe('switchyard tail', () => {
  let dir: string;
  let configFile: string;
  let router: CliRouter;
  const sink = new RecordingSink();

  beforeAll(async () => {
    await sink.start();
    dir = mkdtempSync(join(tmpdir(), 'switchyard-cli-tail-'));
    configFile = join(dir, 'switchyard.yaml');
    const config = {
      storage: { dir: './data' },
      admin: { tokens: [TOKEN] },
      sources: [
        { id: 'web', type: 'segment', writeKey: 'wk_tail' },
        { id: 'other', type: 'segment', writeKey: 'wk_other' },
      ],
      connections: [{ id: 'hook', connector: 'webhook', settings: { url: `${sink.url}/hook` }, sources: ['web'] }],
    };
    writeFileSync(configFile, stringify(config));
    router = await startCliRouter(configFile, { cwd: dir });
  }, 60_000);
  afterAll(async () => {
    await router?.stop();
    await sink.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const track = (writeKey: string, body: Record<string, unknown>) =>
    fetch(`${router.url}/v1/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}` },
      body: JSON.stringify(body),
    });

  it('follows the events of a connection and each attempt until Ctrl-C, masking personal data when asked', async () => {
    // The token comes from the config file; the URL from the flag (the config's port 0 is a random one).
    const watching = tail(['--config', configFile, '--url', router.url, '--connection', 'hook', '--mask-pii', '--verbose'], dir);
    await watching.waitFor(/watching sources web, other; connections hook; personal data masked/, 'the hello line');
    expect((await track('wk_other', { userId: 'u-other', event: 'Elsewhere', messageId: 'tail-other' })).status).toBe(200);
    expect((await track('wk_tail', { userId: 'u-tail', event: 'Order Completed', messageId: 'tail-1', properties: { email: 'ada@example.com' } })).status).toBe(
      200,
    );
    await watching.waitFor(/inbound {2}web {2}track "Order Completed" {2}tail-1 {2}→ hook/, 'the inbound line');
    await watching.waitFor(
      /attempt {2}hook {2}tail-1 delivered\n {4}POST http:\/\/127\.0\.0\.1:\d+\/hook → 200 \d+ ms\n {6}request: .*"messageId":"tail-1"/,
      'the attempt',
    );
    watching.child.kill('SIGINT');
    expect(await watching.exited).toBe(0);
    expect(watching.stdout()).not.toContain('tail-other');
    expect(watching.stdout()).not.toContain('ada@example.com');
  });

  it('says what is wrong with a bad token or an unreachable router', async () => {
    const refused = tail(['--url', router.url, '--token', 'not-the-admin-token-0001'], dir);
    expect(await refused.exited).toBe(1);
    expect(refused.stderr()).toMatch(/GET \/admin\/v1\/live answered 403/);
    const away = tail(['--url', 'http://127.0.0.1:9', '--token', TOKEN], dir);
    expect(await away.exited).toBe(1);
    expect(away.stderr()).toMatch(/cannot reach the router at http:\/\/127\.0\.0\.1:9/);
  });
});
