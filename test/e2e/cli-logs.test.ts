import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startCliRouter, type CliRouter } from '../helpers/cli-router.js';

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

const isJsonLine = (line: string) => {
  try {
    return typeof JSON.parse(line) === 'object';
  } catch {
    return false;
  }
};

/**
 * The router's log as an operator reads it: pino-pretty lines on a terminal, JSON lines otherwise. Each run starts
 * `switchyard start`, sends one event, and stops it with SIGTERM.
 */
describe('the log of switchyard start', () => {
  let dir: string;
  let configFile: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-cli-logs-'));
    configFile = join(dir, 'switchyard.yaml');
    writeFileSync(configFile, stringify({ storage: { dir: './data' }, sources: [{ id: 'web', type: 'segment', writeKey: 'wk_logs' }] }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** One run: start, one tracked event, the access-log line seen, SIGTERM; the lines it printed and its exit code. */
  async function run(tty: boolean): Promise<{ router: CliRouter; lines: string[]; code: number | null }> {
    const router = await startCliRouter(configFile, { cwd: dir, tty, env: { SWITCHYARD_LOG_LEVEL: 'info' } });
    let code: number | null;
    try {
      const response = await fetch(`${router.url}/v1/track`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('wk_logs:').toString('base64')}` },
        body: JSON.stringify({ userId: 'u-logs', event: 'Logged' }),
      });
      expect(response.status).toBe(200);
      await router.waitForOutput(/"?route"?:\s*"\/v1\/track"/, 'the access-log line');
    } finally {
      code = await router.stop();
    }
    const lines = router.output().replace(ANSI, '').split(/\r?\n/).filter(Boolean);
    return { router, lines, code };
  }

  it('prints human lines on a terminal: level words, the banner with PID, storage and URL, the access log, and no JSON', async () => {
    const { router, lines, code } = await run(true);
    expect(code).toBe(0);
    expect(lines).toContain(`Switchyard listening on ${router.url}  (PID ${router.pid}, storage: ${join(dir, 'data')})`);
    const time = String.raw`^\[\d{2}:\d{2}:\d{2}\.\d{3}\] `;
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`${time}INFO: Server listening at ${escape(router.url)}`)));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`${time}INFO: request \\{.*"method":"POST","route":"/v1/track","status":200,`)));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`${time}INFO: stopped: nothing waits in the queue`)));
    expect(lines.filter(isJsonLine)).toEqual([]);
  }, 60_000);

  it('prints JSON lines when stdout is not a terminal', async () => {
    const { router, lines, code } = await run(false);
    expect(code).toBe(0);
    expect(lines).toContain(`Switchyard listening on ${router.url}  (PID ${router.pid}, storage: ${join(dir, 'data')})`);
    const logged = lines.filter(isJsonLine).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged).toContainEqual(expect.objectContaining({ level: 30, msg: 'request', method: 'POST', route: '/v1/track', status: 200 }));
    expect(logged).toContainEqual(expect.objectContaining({ level: 30, msg: 'stopped: nothing waits in the queue' }));
    // Every line is JSON but the banner and the shutdown notice the CLI writes itself.
    expect(lines.filter((line) => !isJsonLine(line) && !/^(Switchyard listening|Sources:|Connections:|\s{2}|SIGTERM: )/.test(line))).toEqual([]);
  }, 60_000);
});
