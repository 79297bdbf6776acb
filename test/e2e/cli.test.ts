import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'cli/bin/switchyard.js');
const run = promisify(execFile);

async function cli(args: string[], cwd = ROOT): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('the switchyard CLI', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-cli-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('validates the example configs', async () => {
    const result = await cli(['validate', '--config', 'examples/webhook.yaml']);
    expect(result).toMatchObject({ code: 0, stdout: expect.stringContaining('examples/webhook.yaml is valid: 2 source(s), 1 connection(s)') });
  });

  it('is on the path as `npx switchyard` from the repository root', async () => {
    const { stdout } = await run('npx', ['--no-install', 'switchyard', 'validate', '--config', 'examples/switchyard.yaml'], { cwd: ROOT });
    expect(stdout).toContain('is valid');
  });

  it('refuses an invalid config with the path of each problem and exit code 1', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'sources: [{ id: web, type: segment, writeKey: wk }]\nconnections:\n  - { id: hook, connector: webhook, settings: { url: 42 } }\n');
    const result = await cli(['validate', '--config', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('connections[0].settings.url: must be string');
  });

  it('lists installed connectors with their settings', async () => {
    const { stdout } = await cli(['connectors']);
    expect(stdout).toMatch(/webhook \d+\.\d+\.\d+ {2}\[webhook\]/);
    expect(stdout).toContain('settings.url: string (required)');
    expect(stdout).toContain('settings.sharedSecret: string (optional, secret)');
  });

  it('shows a profile of the running router by any identifier, its log, and splits a merge', async () => {
    const config = join(dir, 'switchyard.yaml');
    writeFileSync(config, 'storage: { dir: ./data }\nadmin: { tokens: [cli-admin-token-0001] }\nsources: [{ id: web, type: segment, writeKey: wk_web }]\n');
    const child = spawn(process.execPath, [BIN, 'start', '--config', config, '--port', '0'], { cwd: dir });
    let stdout = '';
    const listening = new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = stdout.match(/Switchyard listening on (http:\/\/\S+)/);
        if (match) resolve(match[1]!);
      });
      child.once('exit', (code) => reject(new Error(`exited with ${code}: ${stdout}`)));
    });
    try {
      const url = await listening;
      const send = (path: string, body: unknown) =>
        fetch(`${url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('wk_web:').toString('base64')}` },
          body: JSON.stringify(body),
        }).then((r) => expect(r.status).toBe(200));
      await send('/v1/track', { anonymousId: 'anon-cli', event: 'Viewed' });
      await send('/v1/identify', { userId: 'u-cli', traits: { email: 'cli@example.com' } });
      await send('/v1/alias', { previousId: 'anon-cli', userId: 'u-cli' });
      const admin = ['--url', url, '--token', 'cli-admin-token-0001'];

      const shown = await cli(['profile', 'show', 'anonymous_id:anon-cli', ...admin]);
      expect(shown.code).toBe(0);
      expect(shown.stdout).toMatch(/profile -?\d+/);
      expect(shown.stdout).toMatch(/email\s+cli@example\.com/);
      expect(shown.stdout).toMatch(/user_id\s+u-cli/);
      const profileId = shown.stdout.match(/profile (-?\d+)/)![1]!;

      const log = await cli(['profile', 'log', profileId, ...admin]);
      const merge = log.stdout.match(/#(\d+) .* merge <- (-?\d+)\s+rule=alias:previous/);
      expect(merge).not.toBeNull();
      const split = await cli(['profile', 'split', profileId, merge![1]!, ...admin]);
      expect(split.stdout).toContain(`profile ${merge![2]} split back out of ${profileId}`);

      const missing = await cli(['profile', 'show', 'email:nobody@example.com', ...admin]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('no profile holds email nobody@example.com');
      const unauthorised = await cli(['profile', 'show', 'email:cli@example.com', '--url', url, '--token', 'wrong-token-000000000']);
      expect(unauthorised.code).toBe(1);
      expect(unauthorised.stderr).toMatch(/answered 403: the admin token is not valid/);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('starts, prints what is live, reloads on SIGHUP and stops cleanly on SIGTERM', async () => {
    const config = join(dir, 'switchyard.yaml');
    const base = 'storage: { dir: ./data }\nsources: [{ id: web, type: segment, writeKey: wk_web }]\n';
    writeFileSync(config, `${base}connections:\n  - { id: files, connector: file, settings: {} }\n`);
    const child = spawn(process.execPath, [BIN, 'start', '--config', config, '--port', '0'], { cwd: dir });
    let stdout = '';
    const wakers = new Set<() => void>();
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      for (const wake of wakers) wake();
    });
    const waitFor = (pattern: RegExp) =>
      new Promise<RegExpMatchArray>((resolve, reject) => {
        const check = () => {
          const match = stdout.match(pattern);
          if (match) {
            wakers.delete(check);
            resolve(match);
          }
        };
        wakers.add(check);
        child.once('exit', (code) => reject(new Error(`exited with ${code} before ${pattern}: ${stdout}`)));
        check();
      });
    try {
      const [, url] = await waitFor(/Switchyard listening on (http:\/\/\S+)/);
      expect(stdout).toMatch(/web\s+http:\/\/.*\/v1\/batch \(Segment/);
      expect(stdout).toMatch(/files\s+file \(storage\)/);
      const response = await fetch(`${url}/v1/track`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('wk_web:').toString('base64')}` },
        body: JSON.stringify({ userId: 'u1', event: 'Signed Up' }),
      });
      expect(response.status).toBe(200);

      writeFileSync(
        config,
        `${base}connections:\n  - { id: files, connector: file, settings: {} }\n  - { id: more, connector: file, settings: { prefix: more } }\n`,
      );
      child.kill('SIGHUP');
      await waitFor(/config reloaded \(\+connection more\)/);

      const exited = new Promise<number | null>((resolve) =>
        child.once('exit', (code, signal) => {
          if (code !== 0) process.stderr.write(`EXIT code=${code} signal=${signal} stdout=${stdout}\n`);
          resolve(code);
        }),
      );
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stdout).toContain('SIGTERM: finishing in-flight deliveries');
    } finally {
      child.kill('SIGKILL');
    }
  });
});
