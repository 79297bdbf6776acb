import { defineConnector, errorForHttpStatus, PermanentError, Type, type BatchResult, type ItemResult, type PerformContext } from '@switchyard/sdk-kit';
import { audienceBody, MAX_MEMBERS_PER_REQUEST } from './audience.js';
import { signBody, SIGNATURE_HEADER } from './signature.js';

export { signBody, verifySignature, SIGNATURE_HEADER } from './signature.js';
export type { AudienceBody, WebhookMember } from './audience.js';

const settings = Type.Object(
  {
    url: Type.String({ format: 'uri', pattern: '^https?://', description: 'Where events are sent.' }),
    method: Type.Union([Type.Literal('POST'), Type.Literal('PUT')], { default: 'POST' }),
    headers: Type.Record(Type.String(), Type.String(), { default: {}, description: 'Extra request headers.' }),
    sharedSecret: Type.Optional(
      Type.String({
        secret: true,
        minLength: 8,
        description: `Signs each body: ${SIGNATURE_HEADER}: sha256=<HMAC-SHA256 hex>.`,
      }),
    ),
    batching: Type.Boolean({ default: false, description: 'Send {"batch":[...]} bodies instead of one event per request.' }),
    timeoutMs: Type.Integer({ minimum: 100, maximum: 120000, default: 10000 }),
    region: Type.Optional(
      Type.String({
        pattern: '^[a-z][a-z0-9-]*$',
        description: 'Where the receiving endpoint is (e.g. eu, us); required under a deployment-wide residency setting.',
      }),
    ),
  },
  { additionalProperties: false },
);

type Settings = typeof settings.static;
type Context = Pick<PerformContext<Settings, unknown>, 'http' | 'settings' | 'signal'>;

/** Per-item errors a receiver may report for a batch: `{"errors":[{"index":0,"status":503,"message":"…"}]}`. */
interface BatchErrorBody {
  errors?: Array<{ index: number; status: number; message?: string }>;
}

async function send(ctx: Context, body: unknown, extraHeaders: Record<string, string>) {
  const raw = JSON.stringify(body);
  const headers: Record<string, string> = { ...ctx.settings.headers, ...extraHeaders, 'content-type': 'application/json' };
  if (ctx.settings.sharedSecret) headers[SIGNATURE_HEADER] = signBody(raw, ctx.settings.sharedSecret);
  return ctx.http(ctx.settings.url, {
    method: ctx.settings.method,
    body: raw,
    headers,
    signal: ctx.signal,
    timeout: { request: ctx.settings.timeoutMs },
  });
}

function withMessageId(body: unknown, messageId: string): unknown {
  if (body && typeof body === 'object' && !Array.isArray(body) && !('messageId' in body)) return { messageId, ...body };
  return body;
}

function perItemResults(count: number, responseBody: string): BatchResult {
  let parsed: BatchErrorBody = {};
  try {
    parsed = responseBody ? (JSON.parse(responseBody) as BatchErrorBody) : {};
  } catch {
    return [];
  }
  const results: BatchResult = new Array(count).fill(undefined);
  for (const error of parsed.errors ?? []) {
    if (!Number.isInteger(error.index) || error.index < 0 || error.index >= count) continue;
    const mapped = errorForHttpStatus(error.status, {}, error.message ?? '');
    results[error.index] = mapped ? mapped.toResult() : ({ status: 'ok' } satisfies ItemResult);
  }
  return results;
}

export default defineConnector({
  name: 'webhook',
  version: '0.1.0',
  category: 'webhook',
  description: 'POSTs events as JSON to a URL you choose, optionally signed with HMAC-SHA256. The reference connector.',
  settings,
  egress: (s) => [new URL(s.url).host],
  regions: (s) => (s.region ? [s.region] : []),
  actions: {
    send: {
      title: 'Send events',
      description: 'One request per event, or {"batch":[...]} requests when batching is on.',
      subscribe: { types: 'all' },
      fields: Type.Object({ body: Type.Unknown({ description: 'The JSON body for this event.' }) }),
      defaultMapping: { body: { '@path': '$' } },
      batch: { maxItems: 1000 },
      batchWhen: (s) => s.batching,
      async perform(ctx) {
        if (ctx.payload.body === undefined) throw new PermanentError('the mapped body is empty', { code: 'EMPTY_BODY' });
        await send(ctx, withMessageId(ctx.payload.body, ctx.messageId), { 'idempotency-key': ctx.messageId });
      },
      async performBatch(ctx) {
        const batch = ctx.items.map((item) => withMessageId(item.payload.body, item.messageId));
        const response = await send(ctx, { batch }, {});
        return perItemResults(batch.length, String(response.body));
      },
    },
  },
  audience: {
    identifiers: 'all',
    maxMembersPerCall: MAX_MEMBERS_PER_REQUEST,
    async sync(ctx) {
      const response = await send(ctx, audienceBody(ctx), {});
      return perItemResults(ctx.members.length, String(response.body));
    },
  },
});
