import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
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

  it('takes over a lock naming this very process when this process does not hold it (a restarted container, PID 1 again)', async () => {
    await fixture.router.close();
    writeFileSync(lockFile(), JSON.stringify({ pid: process.pid, host: hostname(), startedAt: '2026-01-01T00:00:00.000Z' }));
    fixture.router = await startAnother();
    expect((await fixture.send('/v1/track', { userId: 'u1', event: 'x' }, { auth: 'wk_web:' })).status).toBe(200);
    expect(JSON.parse(readFileSync(lockFile(), 'utf8'))).toMatchObject({ pid: process.pid });
    // Now this process holds it: another router in it is refused.
    await expect(startAnother()).rejects.toMatchObject({ code: 'STORAGE_LOCKED' });
  });

  describe('a lock naming a PID another process runs under', () => {
    let other: ChildProcess;
    beforeEach(async () => {
      await fixture.router.close();
      other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      await new Promise((resolve) => other.once('spawn', resolve));
    });
    afterEach(() => {
      other.kill('SIGKILL');
    });

    it('is taken over when that process started after the lock was written (the PID was reused)', async () => {
      writeFileSync(lockFile(), JSON.stringify({ pid: other.pid, host: hostname(), startedAt: new Date(Date.now() - 3_600_000).toISOString() }));
      fixture.router = await startAnother();
      expect((await fixture.send('/v1/track', { userId: 'u1', event: 'x' }, { auth: 'wk_web:' })).status).toBe(200);
    });

    it('is respected when that process was already running when the lock was written', async () => {
      writeFileSync(lockFile(), JSON.stringify({ pid: other.pid, host: hostname(), startedAt: new Date(Date.now() + 5_000).toISOString() }));
      await expect(startAnother()).rejects.toMatchObject({ code: 'STORAGE_LOCKED', message: expect.stringContaining(`process ${other.pid}`) });
      // Reopen a router for the suite's afterEach.
      writeFileSync(lockFile(), JSON.stringify({ pid: 2 ** 30, host: hostname(), startedAt: '2026-01-01T00:00:00.000Z' }));
      fixture.router = await startAnother();
    });
  });
});
