import { randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';

/** Text made safe to place in HTML (element content and quoted attributes). */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}input[type=email],textarea{width:100%;padding:.5rem;font:inherit;box-sizing:border-box}
fieldset{border:1px solid #999;padding:.5rem 1rem;margin:1rem 0}fieldset label{font-weight:400;display:flex;gap:.5rem;align-items:center}
button{font:inherit;padding:.5rem 1.25rem;margin-top:1rem;background:#0b57d0;color:#fff;border:0;border-radius:4px;cursor:pointer}
button:focus-visible,a:focus-visible,input:focus-visible,textarea:focus-visible{outline:3px solid #f9a825;outline-offset:2px}
.error{color:#a50e0e}dt{font-weight:600}dd{margin:0 0 .5rem}`;

/**
 * Sends a page of the router's own (no script, no third-party resource): the Content-Security-Policy allows only its
 * own inline style, forms posting back to the router, and no framing.
 */
export function sendPage(reply: FastifyReply, status: number, title: string, body: string): FastifyReply {
  const nonce = randomBytes(16).toString('base64');
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .headers({
      'content-security-policy': `default-src 'none'; style-src 'nonce-${nonce}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
    })
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
        `<title>${escapeHtml(title)}</title><style nonce="${nonce}">${STYLE}</style></head>` +
        `<body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`,
    );
}

/** Whether the caller asked for a page (a browser's form post or link) rather than JSON. */
export function wantsPage(accept: string | undefined): boolean {
  if (!accept) return false;
  const html = accept.indexOf('text/html');
  const json = accept.indexOf('application/json');
  return html !== -1 && (json === -1 || html < json);
}
