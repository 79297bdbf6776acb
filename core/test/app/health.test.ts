import { HttpSink } from '../helpers/http-sink.js';
import { RouterFixture } from '../helpers/router.js';

describe('liveness and readiness', () => {
  let sink: HttpSink;
  let fixture: RouterFixture;
  beforeAll(async () => {
    sink = await new HttpSink().start();
    fixture = await new RouterFixture({
      sources: [{ id: 'web', type: 'segment', writeKey: 'wk_web' }],
      connections: [{ id: 'hook', connector: 'webhook', settings: { url: `${sink.url}/hook` } }],
    }).start();
  });
  afterAll(async () => {
    await fixture.close();
    await sink.stop();
  });

  it('answers /health while the process runs and /ready once the queue and every connection are up', async () => {
    expect((await fixture.send('/health', undefined, { method: 'GET' })).json).toEqual({ status: 'ok', connections: 1 });
    expect(await fixture.send('/ready', undefined, { method: 'GET' })).toMatchObject({ status: 200, json: { status: 'ready' } });
  });

  it('answers /ready 503 with the reasons when a configured connection is not running', async () => {
    await fixture.router.runtime.applyConnections([]);
    const connectionDown = await fixture.send('/ready', undefined, { method: 'GET' });
    expect(connectionDown.status).toBe(503);
    expect(connectionDown.json).toEqual({ status: 'not_ready', problems: ['connection hook is not running'] });
    expect((await fixture.send('/health', undefined, { method: 'GET' })).status).toBe(200);
  });
});
