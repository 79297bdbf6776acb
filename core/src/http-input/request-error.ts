import type { FastifyError } from 'fastify';
import { INPUT_LIMITS } from './input-limits.js';

/** One thing wrong with a request, located by a JSON path into the body (`$.batch[3].event`) or the header it is in. */
export interface Problem {
  path: string;
  message: string;
}

/**
 * A refused request: the status, a machine-readable code and what was wrong. Every route family turns it
 * into its API's error shape. Only the first `INPUT_LIMITS.maxProblemsListed` problems are kept and
 * `problemCount` counts all of them, so a request with a million mistakes gets a short answer.
 */
export class RequestError extends Error {
  readonly problems: Problem[];
  readonly problemCount: number;

  /** `summary` replaces the message built from the problems (errors about the request, not its body). */
  constructor(
    readonly statusCode: number,
    readonly code: string,
    problems: Problem[],
    summary?: string,
  ) {
    const listed = problems.slice(0, INPUT_LIMITS.maxProblemsListed);
    super(summary ?? describeProblems(listed, problems.length));
    this.problems = listed;
    this.problemCount = problems.length;
  }
}

function describeProblems(listed: Problem[], total: number): string {
  const text = listed.map((p) => `${p.path}: ${p.message}`).join('; ');
  return total > listed.length ? `${text}; and ${total - listed.length} more problems (${total} in all)` : text;
}

export function badRequest(code: string, problems: Problem[]): RequestError {
  return new RequestError(400, code, problems);
}

/** `$.batch[3].properties` from a base path and keys. */
export function jsonPath(base: string, ...keys: Array<string | number>): string {
  return keys.reduce<string>(
    (path, key) => (typeof key === 'number' ? `${path}[${key}]` : /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`),
    base,
  );
}

/** fastify's own 4xx errors (FST_ERR_…) as a RequestError; undefined for anything else. */
export function fromFastifyError(error: unknown): RequestError | undefined {
  const { statusCode, code, message } = error as Partial<FastifyError>;
  if (!statusCode || statusCode < 400 || statusCode >= 500) return undefined;
  return new RequestError(statusCode, (code ?? 'BAD_REQUEST').replace(/^FST_ERR_(CTP_)?/, ''), [], message);
}
