import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionError, FastifyRequest } from 'fastify';
import { INPUT_LIMITS } from '../http-input/input-limits.js';
import { RequestError } from '../http-input/request-error.js';
import { errorBodyFor } from './route-families.js';

/**
 * Answers to requests that are not valid HTTP, given before fastify sees them: Node's parser errors,
 * unknown `Expect:` values and HTTP/1.1 requests without `Host`. Each is a JSON body in the shape of the
 * API the request line names, so no client is ever left with an empty or generic answer.
 */

/** Node's parser errors carry llhttp's fixed reason text and the bytes received (fastify types them otherwise). */
type ParserError = Error & { code?: string; reason?: string; rawPacket?: unknown };

/** fastify's `clientErrorHandler`: Node's HTTP parser refused the bytes on this socket. */
export function answerClientError(connectionError: ConnectionError, socket: Socket): void {
  const error = connectionError as ParserError;
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  // Once an answer has started on this socket, more bytes would corrupt it.
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    const failure = parserFailure(error);
    const requestLine = Buffer.isBuffer(error.rawPacket) ? error.rawPacket.subarray(0, 2048).toString('latin1') : '';
    const path = /^\S* (\/\S*)/.exec(requestLine)?.[1];
    const body = JSON.stringify(errorBodyFor(path)(failure));
    socket.write(
      `HTTP/1.1 ${failure.statusCode} ${STATUS_CODES[failure.statusCode]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

function parserFailure(error: ParserError): RequestError {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new RequestError(
        431,
        'HEADERS_TOO_LARGE',
        [],
        `the request line and headers are larger than ${INPUT_LIMITS.maxHeaderBytes / 1024} KB; shorten the URL or the headers`,
      );
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new RequestError(408, 'REQUEST_TIMEOUT', [], 'the request did not arrive in time; send it again');
    case 'HPE_INVALID_HEADER_TOKEN':
      return new RequestError(
        400,
        'MALFORMED_HTTP',
        [],
        `a header holds a character HTTP forbids, such as NUL or a control byte (${error.reason ?? error.code})`,
      );
    case 'HPE_INVALID_TRANSFER_ENCODING':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return new RequestError(
        400,
        'MALFORMED_HTTP',
        [],
        `the body length is ambiguous: send one Content-Length or Transfer-Encoding: chunked, never both (${error.reason ?? error.code})`,
      );
    case 'HPE_INVALID_CHUNK_SIZE':
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
    case 'HPE_INVALID_EOF_STATE':
      return new RequestError(400, 'MALFORMED_HTTP', [], `the chunked body is malformed (${error.reason ?? error.code})`);
    default:
      return new RequestError(400, 'MALFORMED_HTTP', [], `the request is not valid HTTP/1.1 (${error.reason ?? error.code ?? 'unknown parser error'})`);
  }
}

/** Node answers an `Expect:` other than 100-continue itself, with an empty 417, unless this listener exists. */
export function answerUnknownExpectations(server: Server): void {
  server.on('checkExpectation', (request: IncomingMessage, response: ServerResponse) => {
    const failure = new RequestError(417, 'EXPECTATION_FAILED', [], 'the only Expect value accepted is 100-continue; send the request without it');
    const body = JSON.stringify(errorBodyFor(request.url)(failure));
    response.writeHead(417, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
    response.end(body);
  });
}

/** An HTTP/1.1 request must name its host (RFC 9112 §3.2); Node's own check answers with an empty body. */
export async function requireHost(request: FastifyRequest): Promise<void> {
  if (request.headers.host === undefined && request.raw.httpVersion === '1.1') {
    throw new RequestError(400, 'MISSING_HOST', [{ path: 'host', message: 'HTTP/1.1 requests need a Host header' }]);
  }
}
