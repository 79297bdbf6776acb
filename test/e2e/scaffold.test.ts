import { lstatSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { RecordingSink } from '../helpers/recording-sink.js';
import { startRouter } from '../helpers/router-process.js';
import { folderOutsideRepo, ROOT, runAsUser } from '../helpers/user-shell.js';

// npm install reaches the registry for the scaffold's devDependencies (jest, swc, typescript, nock, got…).
const INSTALL_AND_TEST_MS = 300_000;

/** The lines `connector init` prints under "Next, run:". */
function printedCommands(output: string): string[] {
  const [, steps = ''] = output.split('Next, run:\n');
  return steps
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
}

/**
 * A third-party developer's first afternoon, outside this repository: `connector init`, then exactly the
 * commands it prints, with nothing from the checkout's node_modules; then the built package is loaded by
 * path into a running router that delivers through it.
 */
describe('a scaffolded connector, from `connector init` to delivering events', () => {
  const workspace = folderOutsideRepo('switchyard-scaffold-');
  const packageDir = join(workspace, 'acme-crm');
  const sink = new RecordingSink(() => ({ status: 202, body: { accepted: true } }));
  let initOutput = '';

  beforeAll(async () => {
    await sink.start();
    initOutput = await runAsUser([`node cli/bin/switchyard.js connector init acme-crm --dir ${packageDir}`], ROOT, 60_000);
  });
  afterAll(async () => {
    await sink.stop();
    rmSync(workspace, { recursive: true, force: true });
  });

  it('prints the commands that install, build and test the package', () => {
    expect(initOutput).toContain(`Created connector "acme-crm" in ${packageDir}`);
    expect(printedCommands(initOutput)).toEqual([`cd ${packageDir}`, 'npm install', 'npm run build', 'npm test']);
  });

  it(
    'installs, builds and passes its own tests (harness and conformance) by running exactly those commands',
    async () => {
      const output = await runAsUser(printedCommands(initOutput), workspace, INSTALL_AND_TEST_MS);
      expect(output).toMatch(/Tests:\s+\d+ passed, \d+ total/);
      expect(output).not.toMatch(/\d+ failed/);
      // Installed from the tarball `init` packed, not linked to the checkout.
      const kit = join(packageDir, 'node_modules/@switchyard/sdk-kit');
      expect(lstatSync(join(packageDir, 'node_modules')).isSymbolicLink()).toBe(false);
      expect(realpathSync(kit)).toBe(kit);
      const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
      expect(manifest.devDependencies['@switchyard/sdk-kit']).toMatch(/^file:vendor\/switchyard-sdk-kit-\d+\.\d+\.\d+\.tgz$/);
    },
    INSTALL_AND_TEST_MS,
  );

  it('packs for publishing with only its built files, README and package.json', async () => {
    const [packed] = JSON.parse(await runAsUser(['npm pack --dry-run --json --silent'], packageDir, 60_000)) as Array<{ files: Array<{ path: string }> }>;
    const paths = packed!.files.map((f) => f.path).sort();
    expect(paths).toEqual(expect.arrayContaining(['README.md', 'dist/index.d.ts', 'dist/index.js', 'package.json']));
    expect(paths.filter((p) => !p.startsWith('dist/') && p !== 'README.md' && p !== 'package.json')).toEqual([]);
  }, 60_000);

  it('is loaded by path into a running router and delivers an event to its endpoint', async () => {
    const running = await startRouter({
      sources: [{ id: 'web', type: 'segment', writeKey: 'wk_web' }],
      connections: [
        {
          id: 'acme',
          connector: packageDir,
          settings: { apiKey: 'acme-key-0123456789' },
          endpointOverrides: { 'api.acme-crm.example': sink.url },
        },
      ],
    });
    try {
      const response = await fetch(`${running.router.url}/v1/track`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('wk_web:').toString('base64')}` },
        body: JSON.stringify({ userId: 'u-1', event: 'Signed Up', messageId: 'scaffold-1', properties: { plan: 'pro' } }),
      });
      expect(response.status).toBe(200);
      await sink.waitFor(() => sink.requests.length > 0, "the scaffolded connector's request");
      expect(sink.requests[0]).toMatchObject({
        method: 'POST',
        path: '/v1/events',
        headers: expect.objectContaining({ authorization: 'Bearer acme-key-0123456789' }),
        body: expect.objectContaining({ event: 'Signed Up', userId: 'u-1', properties: { plan: 'pro' } }),
      });
    } finally {
      await running.close();
    }
  }, 60_000);
});
