import type { CapturedRequest, HttpSink } from './http-sink.js';

/** An event as a webhook-style connector sends it (one event, or a `batch`). */
export interface SentEvent {
  messageId: string;
  userId?: string;
  profileId?: string;
  identities: Record<string, string>;
}

/** The events in one captured request. */
export function eventsOf(request: CapturedRequest): SentEvent[] {
  const body = request.body as SentEvent & { batch?: SentEvent[] };
  if (Array.isArray(body?.batch)) return body.batch;
  return body?.messageId ? [body] : [];
}

/** Makes the sink hold every look-up of the two-step fixture connector open until released; returns the releases. */
export function holdLookups(sink: HttpSink): Array<() => void> {
  const held: Array<() => void> = [];
  sink.responder = (r) => (r.path.startsWith('/two/lookup') ? new Promise((resolve) => held.push(() => resolve({ status: 200, body: {} }))) : { status: 200 });
  return held;
}

export function releaseAll(held: Array<() => void>): void {
  for (const release of held.splice(0)) release();
}

/** Resolves once `check` holds, asked again every few milliseconds; rejects after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The events a sink received on requests whose path starts with `prefix` (one sink standing in for several connections). */
export function eventsAt(sink: HttpSink, prefix: string): SentEvent[] {
  return sink.requests.filter((r) => r.path.startsWith(prefix)).flatMap(eventsOf);
}
