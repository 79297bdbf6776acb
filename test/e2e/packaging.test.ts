import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { ROOT, runAsUser } from '../helpers/user-shell.js';

interface PackageJson {
  main?: string;
  types?: string;
  engines?: { node?: string };
  files?: string[];
  bin?: Record<string, string>;
  exports?: Record<string, string | Record<string, string>>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: unknown;
}

const manifestOf = (dir: string) => JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as PackageJson;

async function packedFiles(dir: string): Promise<string[]> {
  const [packed] = JSON.parse(await runAsUser(['npm pack --dry-run --json --silent'], join(ROOT, dir), 60_000)) as Array<{ files: Array<{ path: string }> }>;
  return packed!.files.map((f) => f.path).sort();
}

/** Every file a consumer's import, types lookup or bin reaches through the manifest. */
function entryFiles(manifest: PackageJson): string[] {
  const targets = [manifest.main, manifest.types, ...Object.values(manifest.bin ?? {})];
  for (const target of Object.values(manifest.exports ?? {})) targets.push(...(typeof target === 'string' ? [target] : Object.values(target)));
  return targets.filter((t): t is string => Boolean(t)).map((t) => normalize(t));
}

describe.each(['sdk-kit', 'connectors/webhook'])('npm pack of %s', (dir) => {
  const manifest = manifestOf(dir);
  let files: string[] = [];
  beforeAll(async () => {
    files = await packedFiles(dir);
  }, 60_000);

  it('holds the built JavaScript and declarations, the README and package.json, and nothing from src or test', () => {
    expect(files).toEqual(expect.arrayContaining(['README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts']));
    expect(files.filter((f) => !f.startsWith('dist/') && !['README.md', 'package.json'].includes(f))).toEqual([]);
    expect(files.filter((f) => /\.tsbuildinfo$|\.test\.|\.d\.ts\.map$/.test(f))).toEqual([]);
  });

  it('contains every file its main, types, exports and bin point at, and declares the Node versions it runs on', () => {
    expect(entryFiles(manifest).filter((target) => !files.includes(target))).toEqual([]);
    expect(manifest.engines?.node).toMatch(/^>=20/);
  });

  it('ships source maps that carry their sources, since src is not in the package', () => {
    const maps = files.filter((f) => f.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(0);
    const incomplete = maps.filter((map) => {
      const { sources, sourcesContent } = JSON.parse(readFileSync(join(ROOT, dir, map), 'utf8')) as { sources: string[]; sourcesContent?: unknown[] };
      return sourcesContent?.length !== sources.length;
    });
    expect(incomplete).toEqual([]);
  });
});

describe('the @switchyard/sdk-kit main entry', () => {
  /** The modules `dist/index.js` loads, following its static relative imports, and the packages it imports. */
  function importGraph(entry: string): { modules: Set<string>; packages: Set<string> } {
    const modules = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string) => {
      if (modules.has(file)) return;
      modules.add(file);
      for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]/g)) {
        if (specifier!.startsWith('.')) visit(join(dirname(file), specifier!));
        else packages.add(specifier!.startsWith('@') ? specifier!.split('/').slice(0, 2).join('/') : specifier!.split('/')[0]!);
      }
    };
    visit(entry);
    return { modules, packages };
  }

  it('loads only its runtime dependencies, not the scaffold, docs or testing tooling, and nock is only an optional peer', () => {
    const dist = join(ROOT, 'sdk-kit/dist');
    expect(existsSync(join(dist, 'index.js'))).toBe(true);
    const { modules, packages } = importGraph(join(dist, 'index.js'));
    expect([...modules].map((m) => m.slice(dist.length + 1)).filter((m) => /^(scaffold|docs|testing)\//.test(m))).toEqual([]);
    expect(modules.size).toBeGreaterThan(10);
    const dependencies = manifestOf('sdk-kit').dependencies ?? {};
    expect([...packages].filter((p) => !p.startsWith('node:') && !(p in dependencies))).toEqual([]);
    expect(manifestOf('sdk-kit').dependencies).not.toHaveProperty('nock');
    expect(manifestOf('sdk-kit').peerDependencies).toHaveProperty('nock');
    expect(manifestOf('sdk-kit')).toMatchObject({ peerDependenciesMeta: { nock: { optional: true } } });
  });
});
