import { until } from './deliveries.js';

export interface LiveMessage {
  event: string;
  data: Record<string, unknown>;
}

/** Reads the router's live view (`GET /admin/v1/live`) as a client would: fetch, then server-sent events off the body. */
export class LiveStream {
  readonly messages: LiveMessage[] = [];
  ended = false;
  private readonly abort = new AbortController();

  static async open(url: string, token: string): Promise<LiveStream> {
    const stream = new LiveStream();
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: stream.abort.signal });
    if (response.status !== 200) throw new Error(`live stream answered ${response.status}: ${await response.text()}`);
    void stream.read(response.body!);
    await until(() => stream.messages.some((m) => m.event === 'hello'), 'the hello event');
    return stream;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffered = '';
    try {
      for await (const chunk of body) {
        buffered += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffered.indexOf('\n\n')) >= 0) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const event = /^event: (.+)$/m.exec(block)?.[1];
          const data = /^data: (.+)$/m.exec(block)?.[1];
          if (event && data) this.messages.push({ event, data: JSON.parse(data) as Record<string, unknown> });
        }
      }
    } catch {
      // aborted by close()
    }
    this.ended = true;
  }

  of(event: string, where: (data: Record<string, unknown>) => boolean = () => true): Array<Record<string, unknown>> {
    return this.messages.filter((m) => m.event === event && where(m.data)).map((m) => m.data);
  }

  async next(event: string, where: (data: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>> {
    await until(() => this.of(event, where).length > 0, what);
    return this.of(event, where)[0]!;
  }

  close(): void {
    this.abort.abort();
  }
}
