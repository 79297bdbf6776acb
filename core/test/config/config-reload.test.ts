import type { SwitchyardConfig } from '../../src/index.js';
import { HttpSink } from '../helpers/http-sink.js';
import { RouterFixture } from '../helpers/router.js';

const SOURCES: SwitchyardConfig['sources'] = [{ id: 'web', type: 'segment', writeKey: 'wk_web' }];
const track = (messageId: string) => ({ type: 'track', userId: 'u1', event: 'Clicked', messageId });
const hook = (id: string, sink: HttpSink, extra: Record<string, unknown> = {}) => ({
  id,
  connector: 'webhook',
  settings: { url: `${sink.url}/${id}`, ...extra },
});

describe('reloading the config without a restart', () => {
  let first: HttpSink;
  let second: HttpSink;
  let fixture: RouterFixture;

  beforeEach(async () => {
    first = await new HttpSink().start();
    second = await new HttpSink().start();
    fixture = await new RouterFixture({ sources: SOURCES, connections: [hook('first', first)] }).start();
  });
  afterEach(async () => {
    await fixture.close();
    await first.stop();
    await second.stop();
  });

  const send = (ids: string[]) => fixture.send('/v1/batch', { batch: ids.map(track) }, { auth: 'wk_web:' });

  it('starts a new connection and keeps the old one running', async () => {
    fixture.writeConfig({ sources: SOURCES, connections: [hook('first', first), hook('second', second)] });
    expect(await fixture.router.reload()).toEqual({ ok: true, changed: ['+connection second'] });
    expect((await send(['m-1'])).status).toBe(200);
    await first.waitFor(() => first.messageIds().includes('m-1'));
    await second.waitFor(() => second.messageIds().includes('m-1'));
  });

  it('refuses an invalid new config with its error, and the old one keeps running', async () => {
    fixture.writeConfig(
      'sources: [{ id: web, type: segment, writeKey: wk_web }]\nconnections:\n  - { id: first, connector: webhook, settings: { url: "not a url" } }\n',
    );
    const result = await fixture.router.reload();
    expect(result).toEqual({ ok: false, error: expect.stringContaining('connections[0].settings.url: must be a URI') });
    expect((await send(['m-2'])).status).toBe(200);
    await first.waitFor(() => first.messageIds().includes('m-2'));
    expect(fixture.router.config.connections.map((c) => c.id)).toEqual(['first']);
  });

  it('neither loses nor duplicates events queued while a changed connection restarts', async () => {
    let open = false;
    const delivered: string[] = [];
    first.responder = (request) => {
      if (open && request.headers['x-changed'] === 'yes') delivered.push((request.body as { messageId: string }).messageId);
      return { status: open ? 200 : 503 };
    };
    const ids = Array.from({ length: 50 }, (_, i) => `q-${i}`);
    expect((await send(ids)).status).toBe(200);
    await first.waitFor(() => first.requests.length >= 5);
    fixture.writeConfig({ sources: SOURCES, connections: [hook('first', first, { headers: { 'x-changed': 'yes' } })] });
    // The reload says what changed on a connection that stays, by part (never the values: settings hold secrets).
    expect(await fixture.router.reload()).toEqual({ ok: true, changed: ['~connection first (settings)'] });
    open = true;
    await fixture.drained(30_000);
    expect([...delivered].sort()).toEqual([...ids].sort());
  });

  it('reloads when the config file changes on disk', async () => {
    await fixture.router.close();
    const watched = new RouterFixture({ sources: SOURCES, connections: [hook('first', first)] });
    const { Router, silentLogger } = await import('../../src/index.js');
    watched.writeConfig({ sources: SOURCES, connections: [hook('first', first)] });
    watched.router = await Router.start({ configFile: watched.configFile, log: silentLogger, port: 0 });
    try {
      const reloaded = new Promise<string[]>((resolve) => watched.router.onConfigChange((config) => resolve(config.connections.map((c) => c.id))));
      // Saved the way many editors save: a new file renamed over the old one.
      const { renameSync } = await import('node:fs');
      const original = watched.configFile;
      Object.assign(watched, { configFile: `${original}.tmp` });
      watched.writeConfig({ sources: SOURCES, connections: [hook('first', first), hook('second', second)] });
      renameSync(`${original}.tmp`, original);
      Object.assign(watched, { configFile: original });
      expect(await reloaded).toEqual(['first', 'second']);
    } finally {
      await watched.close();
    }
  });
});
