import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scaffoldConnector } from '../../src/scaffold/index.js';

const require = createRequire(import.meta.url);
// The workspace's node_modules, which the scaffolded package borrows through a symlink.
const nodeModules = dirname(dirname(require.resolve('typescript/package.json')));
const cli = fileURLToPath(new URL('../../dist/scaffold/cli.js', import.meta.url));
const made: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-scaffold-'));
  made.push(dir);
  return dir;
};

afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

test('writes a self-contained package whose source type-checks outside the workspace', () => {
  const directory = join(tempDir(), 'acme-crm');
  const { files } = scaffoldConnector({ name: 'acme-crm', directory, sdkKitRange: '0.1.0' });
  expect(files.map((f) => f.slice(directory.length + 1)).sort()).toEqual([
    '.gitignore',
    'README.md',
    'jest.config.js',
    'package.json',
    'src/index.ts',
    'test/connector.test.ts',
    'tsconfig.json',
  ]);
  const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8'));
  expect(manifest).toMatchObject({
    name: 'switchyard-connector-acme-crm',
    type: 'module',
    keywords: ['switchyard-connector'],
    peerDependencies: { '@switchyard/sdk-kit': '^0.1.0' },
    switchyard: { sdkKit: '^0.1.0' },
    devDependencies: { '@switchyard/sdk-kit': '^0.1.0', nock: expect.any(String) },
  });
  expect(manifest.dependencies).toBeUndefined();
  const tsconfig = readFileSync(join(directory, 'tsconfig.json'), 'utf8');
  expect(tsconfig).not.toContain('extends');
  expect(tsconfig).not.toContain('../');
  const source = readFileSync(join(directory, 'src/index.ts'), 'utf8');
  expect(source).toContain('apiKey: Type.String({ secret: true');
  expect(source).toContain('https://${HOST}/v1/events');
  expect(source).toContain("const HOST = 'api.acme-crm.example'");
  expect(readFileSync(join(directory, 'test/connector.test.ts'), 'utf8')).toContain('runConformanceSuite(connector, { settings })');

  symlinkSync(nodeModules, join(directory, 'node_modules'), 'dir');
  const tsc = spawnSync(process.execPath, [join(nodeModules, 'typescript/bin/tsc'), '-p', directory, '--noEmit'], { encoding: 'utf8' });
  expect(tsc.stdout + tsc.stderr).toBe('');
  expect(tsc.status).toBe(0);
});

test('refuses a bad name and a directory that is not empty, saying what to do', () => {
  const dir = tempDir();
  expect(() => scaffoldConnector({ name: 'Acme CRM', directory: join(dir, 'x') })).toThrow(
    'connector name "Acme CRM" is not valid: use lower-case letters, digits and dashes, e.g. "acme-crm"',
  );
  writeFileSync(join(dir, 'keep.txt'), 'x');
  expect(() => scaffoldConnector({ name: 'acme', directory: dir })).toThrow(`${dir} is not empty`);
});

test('the switchyard-connector bin packs this sdk-kit into vendor/, depends on the tarball and prints the commands to run', () => {
  const directory = join(tempDir(), 'pkg');
  const out = execFileSync(process.execPath, [cli, 'init', 'zed', '--dir', directory], { encoding: 'utf8' });
  const version = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
  const tarball = `vendor/switchyard-sdk-kit-${version}.tgz`;
  expect(out).toBe(`Created connector "zed" in ${directory}\nNext, run:\n  cd ${directory}\n  npm install\n  npm run build\n  npm test\n`);
  expect(existsSync(join(directory, tarball))).toBe(true);
  const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8'));
  expect(manifest.devDependencies['@switchyard/sdk-kit']).toBe(`file:${tarball}`);
  expect(manifest.peerDependencies['@switchyard/sdk-kit']).toBe(`^${version}`);
  expect(manifest.switchyard.sdkKit).toBe(`^${version}`);
  expect(manifest.files).toEqual(['dist']);
  expect(readFileSync(join(directory, 'README.md'), 'utf8')).toContain(`replace the devDependency \`"file:${tarball}"\` with \`"^${version}"\``);
  expect(existsSync(join(directory, 'src/index.ts'))).toBe(true);

  const bad = spawnSync(process.execPath, [cli, 'init', 'zed', '--colour'], { encoding: 'utf8' });
  expect(bad.status).toBe(1);
  expect(bad.stderr).toContain('unknown option --colour');
});
