import { createSseParser, readEventStream, type SseMessage } from '../src/page/sse.js';

function parse(chunks: string[]): SseMessage[] {
  const messages: SseMessage[] = [];
  const parser = createSseParser((m) => messages.push(m));
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  return messages;
}

describe('the event-stream parser', () => {
  const stream = 'event: hello\ndata: {"sources":["web"]}\n\n: keep-alive\n\nevent: inbound\ndata: {"a":1}\n\ndata: plain\n\n';
  const expected = [
    { event: 'hello', data: '{"sources":["web"]}' },
    { event: 'inbound', data: '{"a":1}' },
    { event: 'message', data: 'plain' },
  ];

  it('reads named events, skips comment lines, and names an unnamed event "message"', () => {
    expect(parse([stream])).toEqual(expected);
  });

  it('gives the same messages whatever the chunk boundaries, one character at a time included', () => {
    expect(parse(stream.split(''))).toEqual(expected);
    for (let cut = 1; cut < stream.length; cut += 7) expect(parse([stream.slice(0, cut), stream.slice(cut)])).toEqual(expected);
  });

  it('accepts CRLF and lone CR line ends, also with a CRLF cut between two chunks', () => {
    expect(parse(['event: a\r\ndata: 1\r', '\n\r', '\nevent: b\rdata: 2\r\r'])).toEqual([
      { event: 'a', data: '1' },
      { event: 'b', data: '2' },
    ]);
  });

  it('joins data lines with newlines, strips one leading space only, and keeps colons in the value', () => {
    expect(parse(['data:  two spaces\ndata:x: y\n\n'])).toEqual([{ event: 'message', data: ' two spaces\nx: y' }]);
  });

  it('carries the id, drops events without data, ignores unknown fields and a leading BOM', () => {
    expect(parse(['\uFEFFid: 7\nevent: attempt\nretry: 10\nfoo: bar\ndata: {}\n\nevent: empty\n\n'])).toEqual([{ event: 'attempt', data: '{}', id: '7' }]);
  });

  it('drops a message the stream ended before its blank line, as the standard says', () => {
    expect(parse(['event: a\ndata: 1\n\nevent: b\ndata: 2'])).toEqual([{ event: 'a', data: '1' }]);
  });

  it('reads a response body, multi-byte characters cut across chunks included', async () => {
    const bytes = new TextEncoder().encode('event: inbound\ndata: {"name":"Zoë ✓"}\n\n');
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 5) controller.enqueue(bytes.slice(i, i + 5));
        controller.close();
      },
    });
    const messages: SseMessage[] = [];
    await readEventStream(body, (m) => messages.push(m));
    expect(messages).toEqual([{ event: 'inbound', data: '{"name":"Zoë ✓"}' }]);
  });

  it('stops reading when its signal aborts', async () => {
    const controller = new AbortController();
    const body = new ReadableStream<Uint8Array>({
      start(stream) {
        stream.enqueue(new TextEncoder().encode('data: first\n\n'));
      },
    });
    const messages: SseMessage[] = [];
    const reading = readEventStream(
      body,
      (m) => {
        messages.push(m);
        controller.abort();
      },
      controller.signal,
    );
    await expect(reading).resolves.toBeUndefined();
    expect(messages).toEqual([{ event: 'message', data: 'first' }]);
  });
});
