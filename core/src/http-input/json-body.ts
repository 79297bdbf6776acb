import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { checkJsonShape } from './json-shape.js';
import { fromFastifyError, RequestError } from './request-error.js';
import { decodeUtf8 } from './utf8.js';

export interface JsonBodyOptions {
  /** Largest body accepted, in bytes, before and after decompression; a route's own `bodyLimit` wins. */
  maxBytes: number;
  /** Content types read as JSON; any other is 415. */
  contentTypes: string[];
  /** The status of a body over the limit (Segment's API answers 400, others 413). */
  tooLargeStatus: 400 | 413;
  /**
   * Keys whose integer values are 64-bit ids (mParticle's mpid): written as JSON numbers by some SDKs, they are
   * read as decimal strings so no digit is lost to floating point.
   */
  exactIntegerKeys?: readonly string[];
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route takes a POST without a body (a trigger such as POST …/backfill). */
    bodyOptional?: boolean;
  }
  interface FastifyRequest {
    bodyBytes?: number;
    /** The body as text, decompressed: what a request signature covers. */
    bodyText?: string;
    /** The source the request authenticated as (ingestion APIs), for logs and metrics. */
    sourceId?: string;
    /** The error code the request was refused with, for logs and metrics. */
    rejection?: string;
  }
}

/**
 * The JSON body reader of one route family: `Content-Encoding: gzip | deflate | br` is decompressed with
 * a hard output cap (a gzip bomb stops at the cap), the bytes must be UTF-8, the JSON must parse and
 * pass the depth and key check, and a POST must have a body. Every failure is a RequestError that says
 * what and where. Returns the function that turns any error of the family's requests into one.
 */
export function registerJsonBody(app: FastifyInstance, options: JsonBodyOptions): (error: unknown, request: FastifyRequest) => RequestError | undefined {
  const limitOf = (request: FastifyRequest) => request.routeOptions.bodyLimit ?? options.maxBytes;
  const tooLarge = (request: FastifyRequest, decompressed: boolean) =>
    new RequestError(options.tooLargeStatus, 'BODY_TOO_LARGE', [
      {
        path: '$',
        message: `the request body is larger than ${Math.round(limitOf(request) / 1024)} KB${decompressed ? ' once decompressed' : ''}; split it into smaller requests`,
      },
    ]);

  app.addHook('onRoute', (route) => {
    route.bodyLimit ??= options.maxBytes;
  });
  const exactIntegers = options.exactIntegerKeys?.length
    ? new RegExp(`("(?:${options.exactIntegerKeys.join('|')})"\\s*:\\s*)(-?\\d{16,})(?=\\s*[,}\\]])`, 'g')
    : undefined;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(options.contentTypes, { parseAs: 'buffer' }, (request, body, done) => {
    try {
      done(
        null,
        parseJsonBody(request, body as Buffer, limitOf(request), () => tooLarge(request, true), exactIntegers),
      );
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  app.addContentTypeParser('*', (request, _payload, done) => {
    done(
      new RequestError(415, 'UNSUPPORTED_CONTENT_TYPE', [
        {
          path: 'content-type',
          message: `"${(request.headers['content-type'] ?? '').slice(0, 100)}" is not accepted; send JSON with Content-Type: application/json`,
        },
      ]),
      undefined,
    );
  });
  app.addHook('preValidation', async (request) => {
    // A route that only triggers something (POST …/backfill) says so with `config: { bodyOptional: true }`.
    if (request.body === undefined && BODY_METHODS.has(request.method) && request.routeOptions.config?.bodyOptional !== true) {
      throw new RequestError(400, 'EMPTY_BODY', [{ path: '$', message: 'the request body is empty; send a JSON body with Content-Type: application/json' }]);
    }
  });

  return (error, request) => {
    if (error instanceof RequestError) return error;
    const fastifyError = error as FastifyError;
    if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return tooLarge(request, false);
    if (fastifyError.code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') {
      return new RequestError(400, 'INVALID_CONTENT_LENGTH', [{ path: 'content-length', message: 'the body is not as long as its Content-Length says' }]);
    }
    return fromFastifyError(error);
  };
}

function parseJsonBody(request: FastifyRequest, raw: Buffer, maxBytes: number, tooLarge: () => RequestError, exactIntegers?: RegExp): unknown {
  if (raw.length === 0) return undefined;
  const encoding = String(request.headers['content-encoding'] ?? 'identity')
    .toLowerCase()
    .trim();
  const bytes = decompress(raw, encoding, maxBytes, tooLarge);
  request.bodyBytes = bytes.length;
  const text = decodeUtf8(bytes);
  request.bodyText = text;
  if (text.trim().length === 0) return undefined;
  let body: unknown;
  try {
    // Only a key in quotes directly before the colon matches; the same text inside a string value has escaped quotes.
    body = JSON.parse(exactIntegers ? text.replace(exactIntegers, '$1"$2"') : text);
  } catch (error) {
    throw new RequestError(400, 'MALFORMED_JSON', [{ path: '$', message: `the body is not valid JSON (${syntaxErrorOf(error as Error)})` }]);
  }
  checkJsonShape(body);
  return body;
}

/** V8's message without the excerpt of the body it quotes (which may hold a credential the client sent). */
function syntaxErrorOf(error: Error): string {
  return error.message.replace(/, (".*"|".*"\.\.\.|\.\.\.".*"(\.\.\.)?) is not valid JSON$/s, '');
}

function decompress(raw: Buffer, encoding: string, maxBytes: number, tooLarge: () => RequestError): Buffer {
  if (encoding === 'identity') return raw;
  const inflate = { gzip: gunzipSync, 'x-gzip': gunzipSync, deflate: inflateSync, br: brotliDecompressSync }[encoding];
  if (!inflate) {
    throw new RequestError(415, 'UNSUPPORTED_CONTENT_ENCODING', [
      { path: 'content-encoding', message: `"${encoding}" is not supported; use gzip, deflate, br or none` },
    ]);
  }
  try {
    return inflate(raw, { maxOutputLength: maxBytes });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) throw tooLarge();
    throw new RequestError(400, 'MALFORMED_BODY', [{ path: '$', message: `the body is not valid ${encoding} data (${(error as Error).message})` }]);
  }
}
