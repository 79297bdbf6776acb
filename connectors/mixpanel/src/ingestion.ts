import {
  chunkForRequests,
  httpErrorResponse,
  PermanentError,
  sendDroppingRefused,
  sendSplittingOnRefusal,
  type BatchResult,
  type PerformContext,
  vendorHttpError,
} from '@switchyard/sdk-kit';
import { ingestionHost, type MixpanelSettings } from './settings.js';

export type Context = Pick<PerformContext<MixpanelSettings, unknown>, 'http' | 'settings' | 'signal'>;

/** /import and /engage take 2,000 records and 10 MB of uncompressed JSON per request. */
export const MAX_RECORDS = 2000;
const MAX_BYTES = 10_000_000;

interface ErrorBody {
  error?: string;
  failed_records?: Array<{ index?: number; field?: string; message?: string }>;
}

/** Maps a failed Mixpanel answer to the retry contract, with Mixpanel's `error` as the detail. */
export const mixpanelError = (thrown: unknown, where: string) => vendorHttpError(thrown, `Mixpanel ${where}`, (body) => (body as ErrorBody).error);

/** With strict=1 a 400 names each refused event (`failed_records`); Mixpanel has ingested the others. */
const importReading = {
  vendor: 'Mixpanel',
  code: 'EVENT_INVALID',
  othersAccepted: true,
  refused: (thrown: unknown) => {
    const response = httpErrorResponse(thrown);
    const failed = response?.status === 400 ? ((response.body as ErrorBody | undefined)?.failed_records ?? []) : [];
    return new Map(failed.map((r) => [r.index ?? -1, `${r.field ?? 'event'}: ${r.message ?? 'invalid'}`]));
  },
  toError: (thrown: unknown) => mixpanelError(thrown, '/import'),
};

async function inChunks<T>(records: T[], send: (chunk: T[]) => Promise<BatchResult>): Promise<BatchResult> {
  const results: BatchResult = new Array(records.length).fill(undefined);
  for (const chunk of chunkForRequests(records, { maxItems: MAX_RECORDS, maxBytes: MAX_BYTES })) {
    (await send(chunk.items)).forEach((result, i) => (results[chunk.start + i] = result));
  }
  return results;
}

/** POST /import?strict=1 with the service account; one result per event. */
export function importEvents(ctx: Context, events: Record<string, unknown>[]): Promise<BatchResult> {
  const { projectId, serviceAccountUsername, serviceAccountSecret } = ctx.settings;
  const basic = Buffer.from(`${serviceAccountUsername}:${serviceAccountSecret}`).toString('base64');
  const post = (some: Record<string, unknown>[]) =>
    ctx.http.post(`https://${ingestionHost(ctx.settings)}/import`, {
      searchParams: { strict: '1', project_id: projectId },
      json: some,
      headers: { authorization: `Basic ${basic}` },
      signal: ctx.signal,
    });
  return inChunks(events, (chunk) => sendDroppingRefused(chunk, post, importReading));
}

/**
 * POST /engage with the project token in each update. With verbose=1 Mixpanel answers 200 `{ status: 0, error }`
 * when it refuses the request; the updates are then sent one by one, so only the invalid ones fail.
 */
export function engage(ctx: Context, updates: Record<string, unknown>[]): Promise<BatchResult> {
  const post = async (some: Record<string, unknown>[]) => {
    let answer: { status?: number; error?: string | null };
    try {
      answer = await ctx.http
        .post(`https://${ingestionHost(ctx.settings)}/engage`, { searchParams: { verbose: '1' }, json: some, signal: ctx.signal })
        .json<{ status?: number; error?: string | null }>();
    } catch (thrown) {
      throw mixpanelError(thrown, '/engage');
    }
    if (answer.status !== 1) throw new PermanentError(`Mixpanel /engage refused the update: ${answer.error ?? 'no reason given'}`, { code: 'PROFILE_INVALID' });
  };
  return inChunks(
    updates.map((u) => ({ $token: ctx.settings.projectToken, ...u })),
    (chunk) => sendSplittingOnRefusal(chunk, post),
  );
}
