import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectorLoadError, loadConnector, runningSdkKitVersion } from '../../src/connectors/connector-registry.js';

const root = mkdtempSync(join(tmpdir(), 'switchyard-registry-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A connector package on disk: package.json plus an index.js exporting a minimal valid connector. */
function connectorPackage(dir: string, manifest: Record<string, unknown>, path = join(root, dir)): string {
  mkdirSync(path, { recursive: true });
  writeFileSync(
    join(path, 'package.json'),
    JSON.stringify({ name: `switchyard-connector-${dir}`, version: '1.0.0', type: 'module', main: 'index.js', ...manifest }),
  );
  writeFileSync(
    join(path, 'index.js'),
    `export default {
    name: '${dir}', version: '1.0.0', category: 'analytics', contractVersion: 1,
    settings: { type: 'object', properties: {} }, egress: [],
    actions: { send: { subscribe: { types: 'all' }, fields: { type: 'object' }, defaultMapping: {}, perform() {} } },
  };\n`,
  );
  return path;
}

test('loads a connector package whose declared sdk-kit range includes the running sdk-kit', async () => {
  const path = connectorPackage('compatible', { peerDependencies: { '@switchyard/sdk-kit': `^${runningSdkKitVersion()}` } });
  const { connector, moduleUrl } = await loadConnector(path, root);
  expect(connector.name).toBe('compatible');
  expect(moduleUrl).toMatch(/compatible\/index\.js$/);
});

test('refuses a connector built for another sdk-kit, naming both versions and the package.json', async () => {
  const path = connectorPackage('too-new', { peerDependencies: { '@switchyard/sdk-kit': '^99.0.0' } });
  const load = loadConnector(path, root);
  await expect(load).rejects.toThrow(ConnectorLoadError);
  await expect(load).rejects.toThrow(
    `connector "${path}" is not usable: connector package "switchyard-connector-too-new" was built for @switchyard/sdk-kit ^99.0.0 ` +
      `(its peerDependencies["@switchyard/sdk-kit"]), but this Switchyard runs @switchyard/sdk-kit ${runningSdkKitVersion()}`,
  );
  await expect(load).rejects.toThrow(join(path, 'package.json'));
});

test('reads the range from switchyard.sdkKit first, then dependencies', async () => {
  const path = connectorPackage('declared', {
    switchyard: { sdkKit: '<0.0.1' },
    dependencies: { '@switchyard/sdk-kit': `^${runningSdkKitVersion()}` },
  });
  await expect(loadConnector(path, root)).rejects.toThrow('(its switchyard.sdkKit)');
});

test('a package that declares no sdk-kit range loads', async () => {
  const path = connectorPackage('undeclared', {});
  await expect(loadConnector(path, root)).resolves.toMatchObject({ connector: { name: 'undeclared' } });
});

test('the built-in connectors declare a range the running sdk-kit satisfies', async () => {
  await expect(loadConnector('webhook', root)).resolves.toMatchObject({ connector: { name: 'webhook' } });
});

test('says which connectors are installed when a short name is unknown, and finds packages in the folders it is given', async () => {
  const shipped = mkdtempSync(join(tmpdir(), 'switchyard-shipped-'));
  try {
    connectorPackage('acme', { name: '@switchyard/connector-acme' }, join(shipped, 'node_modules', '@switchyard', 'connector-acme'));
    const error = await loadConnector('no-such-connector', root).catch((e: Error) => e);
    expect(error).toBeInstanceOf(ConnectorLoadError);
    // Every connector of this checkout is installed, not only the two that used to be listed.
    expect((error as Error).message).toMatch(/installed connectors: .*bigquery.*file.*postgres.*webhook/);
    await expect(loadConnector('acme', root)).rejects.toThrow(ConnectorLoadError);
    expect((await loadConnector('acme', root, [shipped])).connector.name).toBe('acme');
  } finally {
    rmSync(shipped, { recursive: true, force: true });
  }
});
