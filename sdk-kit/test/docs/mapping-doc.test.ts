import { readFileSync } from 'node:fs';
import { directives } from '../../src/mapping/directives.js';
import { evaluateMapping, validateMapping } from '../../src/index.js';
import { buildTrack } from '../../src/testing/index.js';

const doc = readFileSync(new URL('../../../docs/mapping.md', import.meta.url), 'utf8');

/** Each directive section: its heading name and the Event / Mapping / Result JSON blocks under it. */
const sections = doc
  .split(/\n### /)
  .slice(1)
  .map((section) => {
    const name = /^`(@\w+)`/.exec(section)?.[1];
    const block = (label: string) => {
      const match = new RegExp(`\\n${label}[^\\n]*:\\n\\n\`\`\`json\\n([\\s\\S]*?)\`\`\``).exec(section);
      return match ? JSON.parse(match[1]!) : undefined;
    };
    return { name, event: block('Event'), mapping: block('Mapping'), result: block('Result') };
  });

test('docs/mapping.md documents every directive the mapping language has', () => {
  expect(sections.map((s) => s.name).sort()).toEqual(Object.keys(directives).sort());
});

test.each(sections.map((s) => [s.name, s] as const))('the %s example gives the result shown', (_name, section) => {
  expect(section.event).toBeDefined();
  expect(validateMapping(section.mapping)).toEqual([]);
  expect(evaluateMapping(section.mapping, section.event)).toEqual(section.result);
});

test('the "checking a mapping yourself" snippet is right', () => {
  expect(validateMapping({ total: { '@path': '$.properties.total' } })).toEqual([]);
  expect(evaluateMapping({ total: { '@path': '$.properties.value' } }, buildTrack())).toEqual({ total: 20 });
});
