import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '../../src/index.js';

const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));

describe('loading a config file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (text: string, name = 'switchyard.yaml') => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };
  const problemsOf = async (file: string, env: NodeJS.ProcessEnv = {}) => {
    try {
      await loadConfig(file, env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).problems;
    }
    throw new Error('expected the config to be refused');
  };

  it('accepts the example from the ingestion issue unchanged', async () => {
    const config = await loadConfig(join(EXAMPLES, 'webhook.yaml'));
    expect(config.sources.map((s) => [s.id, s.type])).toEqual([
      ['web', 'segment'],
      ['app', 'mparticle'],
    ]);
    expect(config.connections).toEqual([
      expect.objectContaining({ id: 'hook', sources: ['web', 'app'], settings: expect.objectContaining({ url: 'http://127.0.0.1:9999/hook' }) }),
    ]);
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 8088 });
  });

  it('accepts the example npm start runs', async () => {
    const config = await loadConfig(join(EXAMPLES, 'switchyard.yaml'), {});
    expect(config.connections.map((c) => c.connector.name)).toContain('file');
    expect(config.adminTokens).toEqual(['change-me-local-admin-token']);
  });

  it('names the path and the problem of each schema error', async () => {
    const file = write(`
sources:
  - { id: web, type: segment, writeKey: wk }
connections:
  - { id: a, connector: webhook, settings: { url: "http://127.0.0.1:1/a" } }
  - { id: b, connector: webhook, settings: { url: "http://127.0.0.1:1/b" } }
  - { id: c, connector: webhook, settings: { url: "not a url" } }
server: { port: "eighty" }
`);
    const problems = await problemsOf(file);
    expect(problems).toContain('server.port: must be integer');
    expect(
      await problemsOf(
        write(`
sources: [{ id: web, type: segment, writeKey: wk }]
connections:
  - { id: a, connector: webhook, settings: { url: "http://127.0.0.1:1/a" } }
  - { id: b, connector: webhook, settings: { url: "http://127.0.0.1:1/b" } }
  - { id: c, connector: webhook, settings: { url: "not a url" } }
`),
      ),
    ).toContain('connections[2].settings.url: must be a URI');
  });

  it('reports unknown keys, missing fields, duplicate ids and dangling references', async () => {
    const problems = await problemsOf(
      write(`
sources:
  - { id: web, type: segment }
  - { id: app, type: mparticle, apiKey: k, apiSecret: s, colour: blue }
connections:
  - { id: app, connector: webhook, sources: [mobile], settings: { url: "http://127.0.0.1:1/" } }
`),
    );
    expect(problems).toEqual(expect.arrayContaining(['sources[0].writeKey: is required', 'sources[1]: unknown property "colour"']));
    const second = await problemsOf(
      write(`
sources: [{ id: web, type: segment, writeKey: wk }]
connections:
  - { id: web, connector: webhook, sources: [mobile], settings: { url: "http://127.0.0.1:1/" } }
  - { id: x, connector: no-such-thing, settings: {} }
`),
    );
    expect(second).toEqual(
      expect.arrayContaining([
        'connections[0].id: "web" is already used by sources[0]; ids must be unique',
        'connections[0].sources[0]: no source with id "mobile" (sources: web)',
        expect.stringMatching(/^connections\[1\]\.connector: connector "no-such-thing" not found: install it/),
      ]),
    );
  });

  it('checks mapping overrides and actions against the connector', async () => {
    const problems = await problemsOf(
      write(`
sources: [{ id: web, type: segment, writeKey: wk }]
connections:
  - id: hook
    connector: webhook
    actions: [send, teleport]
    settings: { url: "http://127.0.0.1:1/" }
    mapping:
      send: { body: { "@template": 42 } }
`),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^connections\[0\]\.actions\[1\]: connector "webhook" has no action "teleport"/),
        expect.stringMatching(/^connections\[0\]\.mapping\.send\.body/),
      ]),
    );
  });

  it('substitutes ${ENV_VAR}s and names the path of a missing one', async () => {
    const file = write(`
sources: [{ id: web, type: segment, writeKey: "\${WEB_WRITE_KEY}" }]
connections:
  - { id: hook, connector: webhook, settings: { url: "http://127.0.0.1:1/", sharedSecret: "\${HOOK_SECRET:-fallback-secret}" } }
`);
    const config = await loadConfig(file, { WEB_WRITE_KEY: 'from-env-key' });
    expect(config.sources[0]).toMatchObject({ writeKey: 'from-env-key' });
    expect(config.connections[0]!.settings).toMatchObject({ sharedSecret: 'fallback-secret' });
    expect(config.secrets).toEqual(expect.arrayContaining(['from-env-key', 'fallback-secret']));
    expect(await problemsOf(file)).toEqual(['sources[0].writeKey: environment variable WEB_WRITE_KEY is not set; export it or use ${WEB_WRITE_KEY:-default}']);
  });

  it('reads JSON too, and explains YAML syntax errors with a line number', async () => {
    const json = write(JSON.stringify({ sources: [{ id: 'web', type: 'segment', writeKey: 'wk' }] }), 'switchyard.json');
    expect((await loadConfig(json)).sources).toHaveLength(1);
    expect(await problemsOf(write('sources:\n  - { id: web, type: segment\n'))).toEqual([expect.stringMatching(/^not valid YAML at line \d+/)]);
    expect(await problemsOf(join(dir, 'missing.yaml'))).toEqual([expect.stringMatching(/cannot read the file \(ENOENT\); check the --config path/)]);
  });

  it('refuses consent rules naming undeclared purposes and connections that break residency', async () => {
    const problems = await problemsOf(
      write(`
residency: eu
privacy: { purposes: [{ id: analytics }] }
sources: [{ id: web, type: segment, writeKey: wk }]
connections:
  - { id: hook, connector: webhook, consent: { purposes: [marketing] }, settings: { url: "http://127.0.0.1:1/" } }
`),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        'connections[0].consent.purposes: "marketing" is not a purpose declared under privacy.purposes',
        expect.stringMatching(/^connections\[0\]: connection "hook" \(webhook\) is not allowed under residency "eu"/),
      ]),
    );
  });
});

describe('the published config schema', () => {
  it('docs/config.schema.json is the schema the loader validates with', async () => {
    const { readFileSync } = await import('node:fs');
    const { CONFIG_SCHEMA } = await import('../../src/index.js');
    const published = JSON.parse(readFileSync(new URL('../../../docs/config.schema.json', import.meta.url), 'utf8'));
    // Regenerate with: npx switchyard config-schema > docs/config.schema.json
    expect(published).toEqual(JSON.parse(JSON.stringify(CONFIG_SCHEMA)));
  });
});
