import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '../../src/index.js';

const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));

describe('the queue section of the config', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-queue-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const load = (queue: string) => {
    const file = join(dir, 'switchyard.yaml');
    writeFileSync(file, `${queue}\nsources:\n  - { id: web, type: segment, writeKey: wk }\n`);
    return loadConfig(file, {});
  };

  it('defaults to the embedded SQLite queue, so npm start needs no server', async () => {
    expect((await loadConfig(join(EXAMPLES, 'switchyard.yaml'), {})).queue).toEqual({ type: 'sqlite' });
    expect((await load('')).queue).toEqual({ type: 'sqlite' });
  });

  it('takes a NATS queue with its servers, stream and ack wait', async () => {
    const config = await load('queue: { type: nats, servers: ["nats://10.0.0.5:4222"], stream: PROD_EU, ackWaitMs: 5000 }');
    expect(config.queue).toEqual({ type: 'nats', servers: ['nats://10.0.0.5:4222'], stream: 'PROD_EU', ackWaitMs: 5000 });
  });

  it.each([
    ['queue: { type: nats, servers: [], stream: S }', /queue\.servers: must NOT have fewer than 1 items/],
    ['queue: { type: nats, servers: ["nats://127.0.0.1:4222"], stream: "has.dots" }', /queue\.stream: must match pattern/],
    ['queue: { type: nats, servers: ["nats://127.0.0.1:4222"] }', /queue\.stream: is required/],
    ['queue: { type: kafka }', /queue\.type: must be equal to constant/],
  ])('refuses %s, naming the path and the problem', async (queue, problem) => {
    const refused = await load(queue).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as ConfigError).problems.join('\n')).toMatch(problem);
  });
});
