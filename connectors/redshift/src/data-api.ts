import { setTimeout as delay } from 'node:timers/promises';
import { PermanentError, RetryableError, type PerformContext } from '@switchyard/sdk-kit';
import { awsCredentials, callAwsJson } from '@switchyard/sdk-kit/aws';

type Http = PerformContext<unknown, unknown>['http'];

export interface RedshiftTarget {
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  database: string;
  clusterIdentifier?: string;
  workgroupName?: string;
  dbUser?: string;
  secretArn?: string;
}

/** One value of a result row, as GetStatementResult returns it. */
type Field = { isNull?: boolean; stringValue?: string; longValue?: number; doubleValue?: number; booleanValue?: boolean };
interface Described {
  Status: 'SUBMITTED' | 'PICKED' | 'STARTED' | 'FINISHED' | 'ABORTED' | 'FAILED';
  Error?: string;
  HasResultSet?: boolean;
}

export const dataApiHost = (region: string) => `redshift-data.${region}.amazonaws.com`;
const POLL_DELAYS_MS = [50, 100, 200, 400, 800, 1000, 2000, 2000, 4000, 4000, 8000, 8000, 8000, 8000, 8000];

/** Runs SQL through the Redshift Data API (JSON protocol, SigV4): submit, wait for it to finish, read its rows. */
export class DataApi {
  constructor(
    private readonly http: Http,
    readonly target: RedshiftTarget,
  ) {}

  private call<T>(operation: string, body: Record<string, unknown>): Promise<T> {
    const { region } = this.target;
    const service = {
      endpoint: `https://${dataApiHost(region)}/`,
      service: 'redshift-data',
      region,
      targetPrefix: 'RedshiftData',
      credentials: awsCredentials(this.target),
    };
    return callAwsJson<T>(this.http, service, operation, body);
  }

  /** Where the statement runs and as whom: a provisioned cluster (database user or secret) or a serverless workgroup. */
  private where(): Record<string, string> {
    const { database, clusterIdentifier, workgroupName, dbUser, secretArn } = this.target;
    return Object.fromEntries(
      Object.entries({ Database: database, ClusterIdentifier: clusterIdentifier, WorkgroupName: workgroupName, DbUser: dbUser, SecretArn: secretArn }).filter(
        ([, v]) => v !== undefined,
      ),
    ) as Record<string, string>;
  }

  private async waitFor(id: string): Promise<Described> {
    for (const wait of POLL_DELAYS_MS) {
      const described = await this.call<Described>('DescribeStatement', { Id: id });
      if (described.Status === 'FINISHED') return described;
      if (described.Status === 'FAILED' || described.Status === 'ABORTED') throw statementError(described);
      await delay(wait);
    }
    throw new RetryableError(`Redshift statement ${id} is still running`, { code: 'REDSHIFT_STILL_RUNNING' });
  }

  /** Runs one statement with named parameters (`:name`), returning its rows keyed by column name. */
  async execute(sql: string, parameters: Array<{ name: string; value: string }> = []): Promise<Array<Record<string, unknown>>> {
    const { Id } = await this.call<{ Id: string }>('ExecuteStatement', { ...this.where(), Sql: sql, ...(parameters.length ? { Parameters: parameters } : {}) });
    if (!(await this.waitFor(Id)).HasResultSet) return [];
    const rows: Array<Record<string, unknown>> = [];
    let next: string | undefined;
    do {
      const page = await this.call<{ Records?: Field[][]; ColumnMetadata?: Array<{ name: string }>; NextToken?: string }>('GetStatementResult', {
        Id,
        ...(next ? { NextToken: next } : {}),
      });
      const names = (page.ColumnMetadata ?? []).map((c) => c.name);
      for (const record of page.Records ?? []) rows.push(Object.fromEntries(record.map((field, i) => [names[i]!, fieldValue(field)])));
      next = page.NextToken;
    } while (next);
    return rows;
  }

  /** Runs statements in order as one transaction (BatchExecuteStatement takes no parameters). */
  async executeBatch(sqls: string[]): Promise<void> {
    const { Id } = await this.call<{ Id: string }>('BatchExecuteStatement', { ...this.where(), Sqls: sqls });
    await this.waitFor(Id);
  }
}

function fieldValue(field: Field): unknown {
  if (field.isNull) return null;
  return field.stringValue ?? field.longValue ?? field.doubleValue ?? field.booleanValue ?? null;
}

/** A statement Redshift ran and refused (SQL error) is permanent; one it aborted, or lost to a concurrent transaction, can be retried. */
function statementError(described: Described): Error {
  const message = `Redshift statement ${described.Status.toLowerCase()}: ${described.Error ?? 'no error given'}`;
  if (described.Status === 'ABORTED' || /serializable isolation violation|deadlock|connection/i.test(described.Error ?? '')) {
    return new RetryableError(message, { code: `REDSHIFT_${described.Status}` });
  }
  return new PermanentError(message, { code: 'REDSHIFT_FAILED' });
}
