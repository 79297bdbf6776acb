import { fileURLToPath } from 'node:url';

/** The absolute path of the built page (index.html, app.js, app.css): the router serves this folder at /dashboard. */
export const dashboardAssetsDir: string = fileURLToPath(new URL('./page/', import.meta.url));
