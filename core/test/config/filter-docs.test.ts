import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { loadConfig } from '../../src/index.js';
import { checkCondition } from '../../src/rules/index.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const yamlBlocks = (doc: string) =>
  [...readFileSync(join(ROOT, doc), 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parse(m[1]!) as Record<string, unknown>);

/** The examples operators copy from the docs are checked as the router checks a config. */
describe('the filter and condition examples in docs/', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-filter-docs-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('every condition in docs/conditions.md is valid', () => {
    const conditions = yamlBlocks('docs/conditions.md');
    expect(conditions.length).toBeGreaterThanOrEqual(3);
    for (const condition of conditions) expect(checkCondition(condition)).toEqual([]);
  });

  it('every config in docs/filters.md and examples/filters.yaml loads', async () => {
    const configs = yamlBlocks('docs/filters.md');
    expect(configs.length).toBeGreaterThanOrEqual(2);
    for (const [i, config] of configs.entries()) {
      const file = join(dir, `filters-${i}.yaml`);
      writeFileSync(file, stringify({ sources: [{ id: 'web', type: 'segment', writeKey: 'wk_web' }], ...config }));
      const loaded = await loadConfig(file, {});
      expect(loaded.connections.some((c) => c.filters)).toBe(true);
    }
    const example = await loadConfig(join(ROOT, 'examples/filters.yaml'), {});
    expect(example.connections.map((c) => [c.id, c.filters?.rules.length ?? 0])).toEqual([
      ['archive', 0],
      ['ads', 4],
      ['totals', 2],
    ]);
  });
});
