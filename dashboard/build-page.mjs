// Bundles the page into dist/page/ with esbuild: one script, one stylesheet, the HTML, and brotli and gzip
// copies the router sends to browsers that accept them. Nothing is loaded from elsewhere at run time, so the
// page runs under `default-src 'self'`.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const out = new URL('./dist/page/', import.meta.url);
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: { app: 'src/page/main.ts', style: 'src/page/style.css' },
  outdir: out.pathname,
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  legalComments: 'none',
  logLevel: 'warning',
});
copyFileSync(new URL('./src/page/index.html', import.meta.url), new URL('index.html', out));
const sizes = [];
for (const file of ['app.js', 'style.css']) {
  const content = readFileSync(new URL(file, out));
  const br = brotliCompressSync(content, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } });
  writeFileSync(new URL(`${file}.br`, out), br);
  writeFileSync(new URL(`${file}.gz`, out), gzipSync(content, { level: 9 }));
  sizes.push(`${file} ${content.length} B (${br.length} B brotli)`);
}
console.log(`dashboard page: ${sizes.join(', ')}`);
