import { gunzipSync, inflateSync, brotliDecompressSync } from 'node:zlib';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { IngestionError } from './ingestion-error.js';

export interface BodyLimits {
  /** Largest decompressed body accepted, in bytes. */
  maxBytes: number;
}

/**
 * Registers the JSON body parser of an ingestion plugin: `Content-Encoding: gzip | deflate | br` is
 * decompressed with a hard output cap (a gzip bomb stops at the cap instead of filling memory), and
 * every failure is an IngestionError that says what was wrong.
 */
export function registerJsonBodyParser(app: FastifyInstance, limitsFor: (request: FastifyRequest) => BodyLimits): void {
  app.removeAllContentTypeParsers();
  // RudderStack's node SDK posts gzipped JSON labelled as a form; a body that is not JSON still fails as JSON.
  app.addContentTypeParser(['application/json', 'text/plain', 'application/octet-stream', 'application/x-www-form-urlencoded'], { parseAs: 'buffer' }, (request, body, done) => {
    try {
      done(null, parseBody(request, body as Buffer, limitsFor(request)));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  app.addContentTypeParser('*', (request, _payload, done) => {
    done(new IngestionError(415, 'UNSUPPORTED_CONTENT_TYPE', [{
      path: 'content-type', message: `"${request.headers['content-type'] ?? ''}" is not accepted; send JSON with Content-Type: application/json`,
    }]), undefined);
  });
}

declare module 'fastify' {
  interface FastifyRequest { bodyBytes?: number }
}

function parseBody(request: FastifyRequest, raw: Buffer, limits: BodyLimits): unknown {
  const encoding = String(request.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
  const decompressed = decompress(raw, encoding, limits.maxBytes);
  request.bodyBytes = decompressed.length;
  const text = decompressed.toString('utf8');
  if (text.length === 0) throw new IngestionError(400, 'EMPTY_BODY', [{ path: '$', message: 'the request body is empty; send a JSON object' }]);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new IngestionError(400, 'MALFORMED_JSON', [{ path: '$', message: `the body is not valid JSON (${(error as Error).message})` }]);
  }
}

function decompress(raw: Buffer, encoding: string, maxBytes: number): Buffer {
  const tooLarge = () => new IngestionError(400, 'BODY_TOO_LARGE', [{
    path: '$', message: `the request body is larger than ${Math.round(maxBytes / 1024)} KB${encoding === 'identity' ? '' : ' once decompressed'}; split it into smaller batches`,
  }]);
  if (encoding === 'identity') {
    if (raw.length > maxBytes) throw tooLarge();
    return raw;
  }
  const inflate = { gzip: gunzipSync, 'x-gzip': gunzipSync, deflate: inflateSync, br: brotliDecompressSync }[encoding];
  if (!inflate) {
    throw new IngestionError(415, 'UNSUPPORTED_CONTENT_ENCODING', [{ path: 'content-encoding', message: `"${encoding}" is not supported; use gzip, deflate, br or none` }]);
  }
  try {
    return inflate(raw, { maxOutputLength: maxBytes });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) throw tooLarge();
    throw new IngestionError(400, 'MALFORMED_BODY', [{ path: '$', message: `the body is not valid ${encoding} data (${(error as Error).message})` }]);
  }
}
