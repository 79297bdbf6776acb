import { defineConnector, Type } from '@switchyard/sdk-kit';
import { warehouseConnectorParts, writerPerConnection } from '@switchyard/sdk-kit/warehouse';
import { BigQueryApi } from './bigquery-api.js';
import { BigQueryStore } from './bigquery-store.js';
import { parseServiceAccountKey } from './service-account.js';

export { signAssertion, parseServiceAccountKey, forgetTokens, TOKEN_URL } from './service-account.js';
export { toBigQueryError, rowErrorResult } from './bigquery-errors.js';
export { MAX_ROWS_PER_REQUEST, MAX_REQUEST_BYTES, readBigQueryType } from './bigquery-store.js';

const settings = Type.Object(
  {
    projectId: Type.String({ pattern: '^[a-z][a-z0-9-]{4,28}[a-z0-9]$', description: 'Google Cloud project id that holds the dataset.' }),
    datasetId: Type.String({ pattern: '^[A-Za-z0-9_]{1,1024}$', description: 'Dataset the tables are created in; it must exist.' }),
    serviceAccountKey: Type.String({
      secret: true,
      minLength: 2,
      description: "The service account's JSON key file contents; the account needs BigQuery Data Editor and BigQuery Job User.",
    }),
    location: Type.Optional(Type.String({ minLength: 2, description: "The dataset's location (US, EU, europe-west1, …); used for query jobs." })),
  },
  { additionalProperties: false },
);

type Settings = typeof settings.static;

/** Where the dataset's data is, for data-residency checks: `eu` for EU and europe-* locations, `us` for US and us-*. */
function regionOf(location = 'US'): string {
  const l = location.toLowerCase();
  if (l === 'eu' || l.startsWith('europe-')) return 'eu';
  if (l === 'us' || l.startsWith('us-')) return 'us';
  return l;
}

export default defineConnector({
  name: 'bigquery',
  version: '0.1.0',
  category: 'warehouse',
  description: 'Streams events into BigQuery tables (one per event type), creating tables and columns as they appear.',
  settings,
  egress: ['bigquery.googleapis.com', 'oauth2.googleapis.com'],
  regions: (s) => [regionOf(s.location)],
  // Streaming quota is per table and generous; DDL (new tables, columns) is what is slow and rate-limited.
  defaults: { ratePerSecond: 50, maxConcurrency: 4, requestTimeoutMs: 60_000 },
  ...warehouseConnectorParts<Settings>(
    writerPerConnection((ctx) => new BigQueryStore(new BigQueryApi(ctx.http, parseServiceAccountKey(ctx.settings.serviceAccountKey), ctx.settings))),
    { maxItems: 500 },
  ),
});
