import type { FastifyInstance } from 'fastify';
import type { LiveEvents, LiveFilter, LiveKind } from '../operations/live-events.js';

export interface LiveRoutesOptions {
  live: LiveEvents;
  /** The sources and connections in force, announced to a new stream (the dashboard's filters). */
  topology: () => { sources: string[]; connections: string[] };
}

interface LiveQuery {
  source?: string;
  connection?: string;
  kind?: string;
  mask?: 'pii' | 'none';
  rate?: number;
}

const KEEP_ALIVE_MS = 15_000;
const LIVE_KINDS: readonly LiveKind[] = ['inbound', 'attempt'];
const listOf = (value: string | undefined) => new Set((value ?? '').split(',').filter(Boolean));

/**
 * `GET /live`: the live view as server-sent events (`hello`, `inbound`, `attempt`, `lagged`). Registered inside the
 * admin plugin, so the admin token guards it. A subscriber too slow to read misses events and is told how many.
 */
export function registerLiveRoutes(app: FastifyInstance, options: LiveRoutesOptions): void {
  app.get<{ Querystring: LiveQuery }>(
    '/live',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            source: { type: 'string', maxLength: 2000 },
            connection: { type: 'string', maxLength: 2000 },
            kind: { type: 'string', pattern: '^(inbound|attempt)(,(inbound|attempt))*$' },
            mask: { type: 'string', enum: ['pii', 'none'] },
            rate: { type: 'integer', minimum: 1, maximum: 1000 },
          },
        },
      },
    },
    (request, reply) => {
      const kinds = request.query.kind ? (listOf(request.query.kind) as Set<LiveKind>) : new Set(LIVE_KINDS);
      const filter: LiveFilter = {
        sources: listOf(request.query.source),
        connections: listOf(request.query.connection),
        kinds,
        maskPii: request.query.mask === 'pii',
        inboundPerSecond: request.query.rate ?? 20,
      };
      reply.hijack();
      const response = reply.raw;
      response.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
        // The socket goes with the stream: a kept-alive socket would hold the router's shutdown for the keep-alive timeout.
        connection: 'close',
      });
      let missed = 0;
      const write = (name: string, data: unknown): boolean => {
        if (response.writableNeedDrain) {
          missed += 1;
          return false;
        }
        return response.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
      };
      response.on('drain', () => {
        if (missed === 0) return;
        write('lagged', { missed });
        missed = 0;
      });
      write('hello', { ...options.topology(), kinds: [...kinds], maskPii: filter.maskPii, inboundPerSecond: filter.inboundPerSecond });
      const socket = request.raw.socket;
      const unsubscribe = options.live.subscribe(filter, write, () => {
        response.end();
        socket.destroySoon();
      });
      const keepAlive = setInterval(() => response.write(': keep-alive\n\n'), KEEP_ALIVE_MS).unref();
      response.on('close', () => {
        clearInterval(keepAlive);
        unsubscribe();
        // A client that went away mid-stream can leave a half-closed socket behind; the server's shutdown would wait for it.
        socket.destroy();
      });
    },
  );
}
