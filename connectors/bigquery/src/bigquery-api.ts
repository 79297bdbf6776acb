import type { PerformContext } from '@switchyard/sdk-kit';
import { RetryableError } from '@switchyard/sdk-kit';
import { toBigQueryError } from './bigquery-errors.js';
import { accessToken, type ServiceAccountKey } from './service-account.js';

/** The connection's egress-fenced HTTP client (got). */
type Got = PerformContext<unknown, unknown>['http'];

export const API = 'https://bigquery.googleapis.com/bigquery/v2';

export interface BigQueryLocation {
  projectId: string;
  datasetId: string;
  location?: string;
}

/** A named query parameter: `@name` bound to a string or an array of strings. */
export interface QueryParameter {
  name: string;
  value: string | string[];
}

interface QueryResponse {
  jobComplete?: boolean;
  jobReference?: { jobId: string; location?: string };
  schema?: { fields: Array<{ name: string }> };
  rows?: Array<{ f: Array<{ v: unknown }> }>;
  pageToken?: string;
}

/** How long jobs.query waits for a statement before we poll getQueryResults. */
const QUERY_WAIT_MS = 10_000;
const MAX_POLLS = 6;

function toParameter(p: QueryParameter) {
  return Array.isArray(p.value)
    ? { name: p.name, parameterType: { type: 'ARRAY', arrayType: { type: 'STRING' } }, parameterValue: { arrayValues: p.value.map((value) => ({ value })) } }
    : { name: p.name, parameterType: { type: 'STRING' }, parameterValue: { value: p.value } };
}

/** The BigQuery REST calls the connector makes, authenticated as the service account. */
export class BigQueryApi {
  constructor(
    private readonly http: Got,
    private readonly key: ServiceAccountKey,
    readonly where: BigQueryLocation,
  ) {}

  private async headers(): Promise<Record<string, string>> {
    return { authorization: `Bearer ${await accessToken(this.http, this.key)}` };
  }

  /** Runs a GoogleSQL statement through jobs.query; returns its rows as objects. */
  async query(sql: string, parameters: QueryParameter[] = []): Promise<Array<Record<string, unknown>>> {
    const { projectId, location } = this.where;
    let response: QueryResponse;
    try {
      response = await this.http
        .post(`${API}/projects/${projectId}/queries`, {
          headers: await this.headers(),
          json: {
            query: sql,
            useLegacySql: false,
            timeoutMs: QUERY_WAIT_MS,
            ...(location ? { location } : {}),
            ...(parameters.length ? { parameterMode: 'NAMED', queryParameters: parameters.map(toParameter) } : {}),
          },
        })
        .json<QueryResponse>();
      for (let poll = 0; !response.jobComplete && poll < MAX_POLLS; poll += 1) {
        const job = response.jobReference;
        if (!job) break;
        const search = new URLSearchParams({ timeoutMs: String(QUERY_WAIT_MS), ...(job.location ? { location: job.location } : {}) });
        response = await this.http.get(`${API}/projects/${projectId}/queries/${job.jobId}?${search}`, { headers: await this.headers() }).json<QueryResponse>();
      }
    } catch (error) {
      throw toBigQueryError(error, 'query');
    }
    if (!response.jobComplete) {
      throw new RetryableError(`BigQuery query job ${response.jobReference?.jobId ?? ''} did not finish in time`, { code: 'BIGQUERY_JOB_INCOMPLETE' });
    }
    const names = response.schema?.fields.map((f) => f.name) ?? [];
    return (response.rows ?? []).map((row) => Object.fromEntries(names.map((name, i) => [name, row.f[i]?.v ?? null])));
  }

  /** tabledata.insertAll; returns the `insertErrors` of the rows BigQuery rejected. */
  async insertAll(
    table: string,
    rows: Array<{ insertId: string; json: Record<string, unknown> }>,
  ): Promise<Array<{ index: number; errors: Array<{ reason?: string; message?: string; location?: string }> }>> {
    const { projectId, datasetId } = this.where;
    try {
      const body = await this.http
        .post(`${API}/projects/${projectId}/datasets/${datasetId}/tables/${table}/insertAll`, {
          headers: await this.headers(),
          // skipInvalidRows: one bad row must not hold back the good ones; each gets its own result.
          json: { kind: 'bigquery#tableDataInsertAllRequest', skipInvalidRows: true, ignoreUnknownValues: false, rows },
        })
        .json<{ insertErrors?: Array<{ index: number; errors: Array<{ reason?: string; message?: string; location?: string }> }> }>();
      return body.insertErrors ?? [];
    } catch (error) {
      throw toBigQueryError(error, `insertAll into ${datasetId}.${table}`);
    }
  }
}
