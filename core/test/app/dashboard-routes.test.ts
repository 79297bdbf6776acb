import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { DASHBOARD_HEADERS, dashboardRoutes } from '../../src/admin/dashboard-routes.js';

describe('the dashboard routes', () => {
  const dirs: string[] = [];
  const apps: FastifyInstance[] = [];
  afterAll(async () => {
    for (const app of apps) await app.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  async function serve(files: Record<string, string>): Promise<{ app: FastifyInstance; dir: string }> {
    const dir = `${mkdtempSync(join(tmpdir(), 'switchyard-dashboard-'))}/`;
    dirs.push(dir);
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    const app = Fastify({ routerOptions: { ignoreTrailingSlash: true } });
    apps.push(app);
    await app.register(dashboardRoutes, { assetsDir: dir });
    app.get('/admin/v1/ping', async () => ({ ok: true }));
    await app.ready();
    return { app, dir };
  }

  it('serves the page at /dashboard and /dashboard/ and its files below, each with the strict headers', async () => {
    const { app } = await serve({ 'index.html': '<!doctype html><title>d</title>', 'app.js': 'export {}' });
    for (const url of ['/dashboard', '/dashboard/', '/dashboard/index.html']) {
      const response = await app.inject({ url });
      expect(response.statusCode).toBe(200);
      expect(response.body).toBe('<!doctype html><title>d</title>');
      expect(response.headers).toMatchObject(DASHBOARD_HEADERS);
      expect(response.headers['cache-control']).toBe('no-cache');
    }
    const script = await app.inject({ url: '/dashboard/app.js' });
    expect(script.headers['content-type']).toMatch(/javascript/);
    expect(script.headers['x-frame-options']).toBe('DENY');
  });

  it('serves only the files built before the start, and puts its headers on no other route', async () => {
    const { app, dir } = await serve({ 'index.html': 'page' });
    writeFileSync(join(dir, 'later.js'), 'export {}');
    expect((await app.inject({ url: '/dashboard/later.js' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/dashboard/%2e%2e/%2e%2e/etc/passwd' })).statusCode).toBe(404);
    const other = await app.inject({ url: '/admin/v1/ping' });
    expect(other.headers['content-security-policy']).toBeUndefined();
    expect(other.headers['x-frame-options']).toBeUndefined();
  });

  it('says how to build the page when it is not built', async () => {
    const { app } = await serve({});
    const response = await app.inject({ url: '/dashboard' });
    expect(response.statusCode).toBe(503);
    expect(response.json().error.message).toBe('the dashboard is not built: run npm run build in the Switchyard checkout');
  });
});
