/** One message of a `text/event-stream`. */
export interface SseMessage {
  event: string;
  data: string;
  id?: string;
}

/**
 * A parser of the event-stream format (the HTML standard's rules): feed it text as it arrives, in chunks cut
 * anywhere; it calls `onMessage` for each complete message. Comment lines (`: keep-alive`) are skipped.
 */
export function createSseParser(onMessage: (message: SseMessage) => void) {
  let buffer = '';
  let started = false;
  let event = '';
  let data: string[] = [];
  let id: string | undefined;

  const dispatch = () => {
    if (data.length > 0) onMessage({ event: event || 'message', data: data.join('\n'), ...(id === undefined ? {} : { id }) });
    event = '';
    data = [];
    id = undefined;
  };
  const line = (text: string) => {
    if (text === '') return dispatch();
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id' && !value.includes('\0')) id = value;
  };

  return {
    push(chunk: string): void {
      buffer += chunk;
      if (!started && buffer.length > 0) {
        started = true;
        if (buffer.charCodeAt(0) === 0xfeff) buffer = buffer.slice(1);
      }
      const terminator = /\r\n|\r|\n/g;
      let start = 0;
      for (let match = terminator.exec(buffer); match; match = terminator.exec(buffer)) {
        // A CR at the very end may be the first half of a CRLF cut by the chunk boundary.
        if (match[0] === '\r' && match.index === buffer.length - 1) break;
        line(buffer.slice(start, match.index));
        start = match.index + match[0].length;
      }
      buffer = buffer.slice(start);
    },
    /** The stream ended: a trailing lone CR still ends its line; a message without its blank line is dropped, as the standard says. */
    end(): void {
      if (buffer.endsWith('\r')) line(buffer.slice(0, -1));
      buffer = '';
      event = '';
      data = [];
    },
  };
}

/** Reads a response body as an event stream until it ends or `signal` aborts. */
export async function readEventStream(body: ReadableStream<Uint8Array>, onMessage: (message: SseMessage) => void, signal?: AbortSignal): Promise<void> {
  const parser = createSseParser(onMessage);
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const cancel = () => void reader.cancel().catch(() => undefined);
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      parser.push(decoder.decode(value, { stream: true }));
    }
    parser.push(decoder.decode());
    parser.end();
  } finally {
    signal?.removeEventListener('abort', cancel);
  }
}
