import type { FastifyError } from 'fastify';

/** One thing wrong with a request, located by a JSON path into the body (`$.batch[3].event`). */
export interface Problem {
  path: string;
  message: string;
}

/**
 * A rejected request: the status, a machine-readable code and every problem found. Thrown anywhere
 * in ingestion; the source's route turns it into its API's error shape. Nothing of the request is stored.
 */
export class IngestionError extends Error {
  constructor(readonly statusCode: number, readonly code: string, readonly problems: Problem[]) {
    super(problems.map((p) => `${p.path}: ${p.message}`).join('; '));
  }
}

export function badRequest(code: string, problems: Problem[]): IngestionError {
  return new IngestionError(400, code, problems);
}

/** `$.batch[3].properties` from a base path and keys. */
export function jsonPath(base: string, ...keys: Array<string | number>): string {
  return keys.reduce<string>((path, key) => (typeof key === 'number' ? `${path}[${key}]` : /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`), base);
}

/** Fastify's own 4xx errors (body too large, bad content type…) in our error shape. */
export function fromFastifyError(error: FastifyError): IngestionError | undefined {
  if (!error.statusCode || error.statusCode >= 500) return undefined;
  const code = error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'BODY_TOO_LARGE' : (error.code ?? 'BAD_REQUEST').replace(/^FST_ERR_(CTP_)?/, '');
  return new IngestionError(error.statusCode, code, [{ path: '$', message: error.message }]);
}
