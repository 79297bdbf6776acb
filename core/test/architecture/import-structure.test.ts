import { fileURLToPath } from 'node:url';
import madge from 'madge';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const TSCONFIG = fileURLToPath(new URL('../../tsconfig.json', import.meta.url));

/** The stages of the data path, in order. A stage may import an earlier one, never a later one. */
const STAGES = ['ingestion', 'identity', 'privacy', 'data-plans', 'enrichment', 'routing', 'queue', 'delivery'];

/** A file's unit: its top folder under core/src, or the file itself at the top level. */
const unitOf = (file: string) => (file.includes('/') ? file.slice(0, file.indexOf('/')) : file.replace(/\.ts$/, ''));

async function importGraph(): Promise<{ files: Record<string, string[]>; circular: string[][] }> {
  const result = await madge(SRC, { fileExtensions: ['ts'], tsConfig: TSCONFIG, excludeRegExp: [/^\.\.\//, /\.d\.ts$/] });
  const files = Object.fromEntries(
    Object.entries(result.obj())
      .filter(([file]) => !file.startsWith('..'))
      .map(([file, deps]) => [file, deps.filter((d) => !d.startsWith('..'))]),
  );
  return { files, circular: result.circular() };
}

function folderEdges(files: Record<string, string[]>): Map<string, Set<string>> {
  const edges = new Map<string, Set<string>>();
  for (const [file, deps] of Object.entries(files)) {
    for (const dep of deps) {
      const [from, to] = [unitOf(file), unitOf(dep)];
      if (from === to) continue;
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from)!.add(to);
    }
  }
  return edges;
}

function folderCycles(edges: Map<string, Set<string>>): string[] {
  const cycles = new Set<string>();
  const walk = (node: string, path: string[]) => {
    for (const next of edges.get(node) ?? []) {
      if (path.includes(next)) cycles.add([...path.slice(path.indexOf(next)), next].join(' → '));
      else walk(next, [...path, next]);
    }
  };
  for (const start of edges.keys()) walk(start, [start]);
  return [...cycles];
}

/**
 * The import structure docs/architecture.md promises: no cycles between files or folders of core, and no stage
 * of the data path importing a later one (types that flow between stages live in types.ts).
 */
describe('import structure of core', () => {
  let graph: Awaited<ReturnType<typeof importGraph>>;
  beforeAll(async () => {
    graph = await importGraph();
  });

  it('has no import cycle between files', () => {
    expect(Object.keys(graph.files).length).toBeGreaterThan(50);
    expect(graph.circular).toEqual([]);
  });

  it('has no import cycle between folders', () => {
    expect(folderCycles(folderEdges(graph.files))).toEqual([]);
  });

  it('has no stage of the data path importing a later stage', () => {
    const edges = folderEdges(graph.files);
    const backwards = STAGES.flatMap((stage, i) => [...(edges.get(stage) ?? [])].filter((to) => STAGES.indexOf(to) > i).map((to) => `${stage} → ${to}`));
    expect(backwards).toEqual([]);
  });
});
