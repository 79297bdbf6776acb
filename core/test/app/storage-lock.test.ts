import { existsSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Router, silentLogger } from '../../src/index.js';
import { RouterFixture } from '../helpers/router.js';

const CONFIG = { sources: [{ id: 'web', type: 'segment' as const, writeKey: 'wk_web' }] };

describe('one router per storage folder', () => {
  let fixture: RouterFixture;
  beforeEach(async () => {
    fixture = await new RouterFixture(CONFIG).start();
  });
  afterEach(() => fixture.close());

  const startAnother = () => Router.start({ configFile: fixture.configFile, log: silentLogger, port: 0, watchConfig: false });
  const lockFile = () => join(fixture.router.config.storageDir, 'router.lock');

  it('refuses a second router on the same storage folder and says which process holds it', async () => {
    await expect(startAnother()).rejects.toMatchObject({
      code: 'STORAGE_LOCKED',
      message: expect.stringMatching(new RegExp(`in use by another router \\(process ${process.pid}, started .*stop that router first`)),
    });
    // The first one still serves.
    expect((await fixture.send('/v1/track', { userId: 'u1', event: 'x' }, { auth: 'wk_web:' })).status).toBe(200);
  });

  it('releases the lock when the router stops, so the next one starts', async () => {
    await fixture.router.close();
    expect(existsSync(lockFile())).toBe(false);
    fixture.router = await startAnother();
    expect(existsSync(lockFile())).toBe(true);
  });

  it('takes over a lock left by a router that no longer runs', async () => {
    await fixture.router.close();
    // A pid far above any the kernel hands out here stands for a crashed router.
    writeFileSync(lockFile(), JSON.stringify({ pid: 2 ** 30, host: hostname(), startedAt: '2026-01-01T00:00:00.000Z' }));
    fixture.router = await startAnother();
    expect((await fixture.send('/v1/track', { userId: 'u1', event: 'x' }, { auth: 'wk_web:' })).status).toBe(200);
  });
});
