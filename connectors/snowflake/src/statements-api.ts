import { setTimeout as delay } from 'node:timers/promises';
import type { PerformContext } from '@switchyard/sdk-kit';
import { RetryableError } from '@switchyard/sdk-kit';
import type { JwtCache } from './keypair-jwt.js';
import { toSnowflakeError, unexpectedResponse } from './snowflake-errors.js';

/** The connection's egress-fenced HTTP client (got). */
type Http = PerformContext<unknown, unknown>['http'];

/** A bound value: the SQL API takes every value as a string with a Snowflake type name. */
export interface Binding {
  type: 'TEXT' | 'FIXED' | 'REAL' | 'BOOLEAN';
  value: string | null;
}

export interface SnowflakeTarget {
  account: string;
  database: string;
  schema: string;
  warehouse?: string;
  role?: string;
}

interface ResultSet {
  statementHandle?: string;
  resultSetMetaData?: { rowType?: Array<{ name: string }>; partitionInfo?: unknown[] };
  data?: Array<Array<string | null>>;
}

/** How long one POST waits for a statement (the API's own limit is 45 s before it answers 202). */
const STATEMENT_TIMEOUT_SECONDS = 60;
const POLL_DELAYS_MS = [200, 500, 1000, 2000, 4000, 8000, 8000, 8000, 8000, 8000];

export const apiBase = (account: string) => `https://${account.toLowerCase()}.snowflakecomputing.com/api/v2/statements`;

/** Runs single SQL statements through Snowflake's SQL API v2, authenticated with a key-pair JWT. */
export class StatementsApi {
  constructor(
    private readonly http: Http,
    private readonly jwt: JwtCache,
    readonly target: SnowflakeTarget,
  ) {}

  private headers(): Record<string, string> {
    return {
      authorization: `Bearer ${this.jwt.token()}`,
      'x-snowflake-authorization-token-type': 'KEYPAIR_JWT',
      accept: 'application/json',
    };
  }

  /** Executes one statement; waits for it when Snowflake answers 202; returns all rows as objects keyed by lower-case column name. */
  async execute(statement: string, bindings: Binding[] = [], signal?: AbortSignal): Promise<Array<Record<string, string | null>>> {
    const { database, schema, warehouse, role, account } = this.target;
    const base = apiBase(account);
    let response: { statusCode: number; body: ResultSet & { code?: string } };
    try {
      response = (await this.http.post(base, {
        headers: this.headers(),
        json: {
          statement,
          timeout: STATEMENT_TIMEOUT_SECONDS,
          database,
          schema,
          ...(warehouse ? { warehouse } : {}),
          ...(role ? { role } : {}),
          ...(bindings.length ? { bindings: Object.fromEntries(bindings.map((b, i) => [String(i + 1), b])) } : {}),
        },
        responseType: 'json',
        signal,
      })) as typeof response;
      for (const wait of POLL_DELAYS_MS) {
        if (response.statusCode !== 202) break;
        const handle = response.body.statementHandle;
        if (!handle) throw unexpectedResponse('statement', response.body);
        await delay(wait, undefined, { signal });
        response = (await this.http.get(`${base}/${handle}`, { headers: this.headers(), responseType: 'json', signal })) as typeof response;
      }
    } catch (error) {
      throw toSnowflakeError(error, 'statement');
    }
    if (response.statusCode === 202) {
      throw new RetryableError(
        `Snowflake statement ${response.body.statementHandle} is still running after ${POLL_DELAYS_MS.reduce((a, b) => a + b, 0) / 1000}s`,
        { code: 'SNOWFLAKE_STILL_RUNNING' },
      );
    }
    return this.readAll(response.body, base, signal);
  }

  private async readAll(result: ResultSet, base: string, signal?: AbortSignal): Promise<Array<Record<string, string | null>>> {
    const names = (result.resultSetMetaData?.rowType ?? []).map((c) => c.name.toLowerCase());
    const data = [...(result.data ?? [])];
    const partitions = result.resultSetMetaData?.partitionInfo?.length ?? 1;
    for (let partition = 1; partition < partitions; partition += 1) {
      try {
        const page = await this.http.get(`${base}/${result.statementHandle}?partition=${partition}`, { headers: this.headers(), signal }).json<ResultSet>();
        data.push(...(page.data ?? []));
      } catch (error) {
        throw toSnowflakeError(error, `result partition ${partition}`);
      }
    }
    return data.map((row) => Object.fromEntries(names.map((name, i) => [name, row[i] ?? null])));
  }
}
