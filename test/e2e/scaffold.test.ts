import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { RecordingSink } from '../helpers/recording-sink.js';
import { startRouter } from '../helpers/router-process.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

/**
 * A third-party developer's first afternoon: scaffold a connector outside this repository, build it and run
 * its own tests with no edits, then load it by path into a running router that delivers through it.
 */
describe('a scaffolded connector, from `connector init` to delivering events', () => {
  const workspace = mkdtempSync(join(tmpdir(), 'switchyard-scaffold-'));
  const packageDir = join(workspace, 'acme-crm');
  const sink = new RecordingSink(() => ({ status: 202, body: { accepted: true } }));

  beforeAll(async () => {
    await sink.start();
    await run(process.execPath, [join(ROOT, 'core/bin/switchyard.js'), 'connector', 'init', 'acme-crm', '--dir', packageDir]);
    // Stands in for `npm install` in the new package: the same published packages, without the network.
    symlinkSync(join(ROOT, 'node_modules'), join(packageDir, 'node_modules'), 'dir');
  });
  afterAll(async () => {
    await sink.stop();
    rmSync(workspace, { recursive: true, force: true });
  });

  it('builds and passes its own tests (harness and conformance) with no edits', async () => {
    await run('npm', ['run', 'build'], { cwd: packageDir });
    const { stdout, stderr } = await run('npm', ['test'], { cwd: packageDir, env: { ...process.env, CI: 'true' } }).catch((error: { stdout: string; stderr: string }) => {
      throw new Error(`the scaffolded tests failed:\n${error.stdout}\n${error.stderr}`);
    });
    expect(`${stdout}${stderr}`).toMatch(/Tests:\s+\d+ passed, \d+ total/);
    expect(`${stdout}${stderr}`).not.toMatch(/failed/);
  }, 120_000);

  it('is loaded by path into a running router and delivers an event to its endpoint', async () => {
    const running = await startRouter({
      sources: [{ id: 'web', type: 'segment', writeKey: 'wk_web' }],
      connections: [{
        id: 'acme', connector: packageDir, settings: { apiKey: 'acme-key-0123456789' },
        endpointOverrides: { 'api.acme-crm.example': sink.url },
      }],
    });
    try {
      const response = await fetch(`${running.router.url}/v1/track`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('wk_web:').toString('base64')}` },
        body: JSON.stringify({ userId: 'u-1', event: 'Signed Up', messageId: 'scaffold-1', properties: { plan: 'pro' } }),
      });
      expect(response.status).toBe(200);
      await sink.waitFor(() => sink.requests.length > 0, 'the scaffolded connector\'s request');
      expect(sink.requests[0]).toMatchObject({
        method: 'POST', path: '/v1/events',
        headers: expect.objectContaining({ authorization: 'Bearer acme-key-0123456789' }),
        body: expect.objectContaining({ event: 'Signed Up', userId: 'u-1', properties: { plan: 'pro' } }),
      });
    } finally {
      await running.close();
    }
  }, 60_000);
});
