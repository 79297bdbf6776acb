/** The files of a new connector package, as text. Kept free of workspace paths: the package must build on its own. */

export interface TemplateInput {
  name: string;
  /** The sdk-kit versions the connector runs with: its peer range and `switchyard.sdkKit`, checked by the router. */
  sdkKitRange: string;
  /** What the package installs for its own build and tests: a registry range, or `file:` a vendored tarball. */
  sdkKitSpec: string;
  /** The vendored sdk-kit tarball, relative to the package, when there is one. */
  vendoredTarball?: string;
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
const title = (name: string) =>
  name
    .split('-')
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join(' ');

export function packageJson({ name, sdkKitRange, sdkKitSpec }: TemplateInput): string {
  return json({
    name: `switchyard-connector-${name}`,
    version: '0.1.0',
    description: `Switchyard connector for ${title(name)}`,
    type: 'module',
    main: './dist/index.js',
    types: './dist/index.d.ts',
    exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' }, './package.json': './package.json' },
    files: ['dist'],
    keywords: ['switchyard-connector'],
    engines: { node: '>=20.11' },
    switchyard: { sdkKit: sdkKitRange },
    scripts: {
      build: 'tsc -p tsconfig.json',
      test: 'node --experimental-vm-modules node_modules/jest/bin/jest.js',
      docs: "node --input-type=module -e \"import c from './dist/index.js'; import { renderConnectorDocs } from '@switchyard/sdk-kit/docs'; console.log(renderConnectorDocs(c));\" > CONNECTOR.md",
      prepublishOnly: 'npm run build && npm test',
    },
    peerDependencies: { '@switchyard/sdk-kit': sdkKitRange },
    devDependencies: {
      '@switchyard/sdk-kit': sdkKitSpec,
      '@jest/globals': '^30.2.0',
      '@swc/core': '^1.15.3',
      '@swc/jest': '^0.2.39',
      '@types/node': '^20.19.0',
      jest: '^30.2.0',
      // The harness captures HTTP with nock, an optional peer of @switchyard/sdk-kit/testing.
      nock: '^14.0.17',
      typescript: '^5.9.3',
    },
  });
}

export function tsconfigJson(): string {
  return json({
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      noUncheckedIndexedAccess: true,
      esModuleInterop: true,
      skipLibCheck: true,
      declaration: true,
      sourceMap: true,
      types: ['node'],
      rootDir: 'src',
      outDir: 'dist',
    },
    include: ['src'],
  });
}

export function jestConfig(): string {
  return `// TypeScript through swc as ES modules; run with --experimental-vm-modules (got is ESM-only).
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } }],
  },
  moduleNameMapper: { '^(\\\\.{1,2}/.*)\\\\.js$': '$1' },
  testMatch: ['**/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
};
`;
}

export function connectorSource({ name }: TemplateInput): string {
  return `import { defineConnector, Type } from '@switchyard/sdk-kit';

const HOST = 'api.${name}.example';

const settings = Type.Object({
  apiKey: Type.String({ secret: true, minLength: 8, description: '${title(name)} API key, sent as a bearer token.' }),
}, { additionalProperties: false });

export default defineConnector({
  name: '${name}',
  version: '0.1.0',
  category: 'analytics',
  description: 'Sends events to the ${title(name)} events API.',
  settings,
  // Every host the connector calls: the router refuses requests anywhere else.
  egress: [HOST],
  defaults: { ratePerSecond: 10 },
  actions: {
    send: {
      title: 'Send events',
      description: 'Posts each track event as JSON.',
      subscribe: { types: ['track'] },
      fields: Type.Object({
        event: Type.String({ minLength: 1, description: 'Event name.' }),
        userId: Type.Optional(Type.String()),
        email: Type.Optional(Type.String()),
        properties: Type.Record(Type.String(), Type.Unknown()),
        timestamp: Type.String(),
      }),
      defaultMapping: {
        event: { '@path': '$.event' },
        userId: { '@path': '$.userId' },
        email: { '@path': '$.traits.email' },
        properties: { '@path': '$.properties' },
        timestamp: { '@path': '$.timestamp' },
      },
      async perform(ctx) {
        // HTTP errors need no handling here: the runtime classifies them (429 waits, 5xx retries, 4xx dead-letters).
        await ctx.http.post(\`https://\${HOST}/v1/events\`, {
          json: { ...ctx.payload, messageId: ctx.messageId },
          headers: { authorization: \`Bearer \${ctx.settings.apiKey}\` },
          signal: ctx.signal,
        });
      },
    },
  },
});
`;
}

export function connectorTest({ name }: TemplateInput): string {
  return `import { buildTrack, createTestHarness, runConformanceSuite } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';

const settings = { apiKey: 'test-api-key-123456' };

test('posts a track event as JSON with the API key as a bearer token', async () => {
  const harness = createTestHarness(connector, { settings });
  const { requests, results } = await harness.run(buildTrack({ messageId: 'm-1', event: 'Signed Up' }));
  expect(results).toEqual([{ status: 'ok' }]);
  expect(requests).toHaveLength(1);
  expect(requests[0]).toMatchObject({
    method: 'POST',
    url: 'https://api.${name}.example/v1/events',
    body: { event: 'Signed Up', userId: 'user-1', email: 'jane.doe@example.com', messageId: 'm-1' },
  });
  expect(requests[0]!.headers.authorization).toBe(\`Bearer \${settings.apiKey}\`);
});

runConformanceSuite(connector, { settings });
`;
}

function vendorNote(sdkKitRange: string, tarball: string | undefined): string {
  if (!tarball) return '';
  return `
## The vendored sdk-kit

\`${tarball}\` is the \`@switchyard/sdk-kit\` this package was created with, packed by \`switchyard connector init\`:
\`@switchyard/sdk-kit\` is not on the npm registry yet. Commit it, so \`npm install\` works in CI too. Once the kit
is published, replace the devDependency \`"file:${tarball}"\` with \`"${sdkKitRange}"\`, delete \`vendor/\` and run
\`npm install\` again. The \`peerDependencies\` and \`switchyard.sdkKit\` ranges, which the router checks, stay as they are.
`;
}

export function readme({ name, sdkKitRange, vendoredTarball }: TemplateInput): string {
  return `# switchyard-connector-${name}

A [Switchyard](https://github.com/switchyard) connector for ${title(name)}, built on \`@switchyard/sdk-kit\` ${sdkKitRange}.

## Develop

\`\`\`sh
npm install
npm run build   # tsc → dist/
npm test        # the harness test and the conformance suite
npm run docs    # CONNECTOR.md: settings, actions, default mappings, egress
\`\`\`

- \`src/index.ts\` declares the settings schema (mark secrets with \`secret: true\`), the hosts the connector may call
  (\`egress\`) and its actions: which events each takes, the payload schema, the default mapping, and \`perform\`.
- \`test/connector.test.ts\` runs the connector in-thread with \`createTestHarness\`, which captures every request, and
  registers the conformance suite with \`runConformanceSuite\`.

## Use it in Switchyard

Build it, then point a connection at it by path or, once published, by package name:

\`\`\`yaml
connections:
  - id: ${name}-main
    connector: ./connectors/switchyard-connector-${name}   # or: switchyard-connector-${name}
    settings:
      apiKey: \${${name.toUpperCase().replace(/-/g, '_')}_API_KEY}
\`\`\`

## Publish

\`npm publish\` builds and tests first (\`prepublishOnly\`). Keep the \`switchyard-connector\` keyword so people can find it.
${vendorNote(sdkKitRange, vendoredTarball)}`;
}

export const gitignore = () => 'node_modules\ndist\n*.tsbuildinfo\n';
