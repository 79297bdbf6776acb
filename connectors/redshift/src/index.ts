import { defineConnector, Type } from '@switchyard/sdk-kit';
import { awsCredentialSettings, awsResidencyRegions } from '@switchyard/sdk-kit/aws';
import { warehouseConnectorParts, writerPerConnection } from '@switchyard/sdk-kit/warehouse';
import { DataApi, dataApiHost } from './data-api.js';
import { RedshiftStore } from './redshift-store.js';

export { bindParameters, REDSHIFT_DIALECT } from './redshift-store.js';

const name = (description: string) => Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_$-]{0,126}$', description });

const settings = Type.Object(
  {
    ...awsCredentialSettings,
    database: name('Database the schema lives in; it must exist.'),
    schema: Type.String({ pattern: '^[a-z_][a-z0-9_]{0,126}$', default: 'switchyard', description: 'Schema the tables are created in (created if missing).' }),
    clusterIdentifier: Type.Optional(name('A provisioned cluster (with dbUser or secretArn).')),
    workgroupName: Type.Optional(name('A Redshift Serverless workgroup (instead of clusterIdentifier).')),
    dbUser: Type.Optional(name('Database user for temporary credentials (provisioned clusters; needs redshift:GetClusterCredentials).')),
    secretArn: Type.Optional(
      Type.String({ pattern: '^arn:aws[a-z-]*:secretsmanager:', description: 'Secrets Manager secret holding the database username and password.' }),
    ),
  },
  {
    additionalProperties: false,
    // Where to run: a cluster (as a database user or with a secret) or a serverless workgroup, never both.
    oneOf: [
      { required: ['clusterIdentifier'], anyOf: [{ required: ['dbUser'] }, { required: ['secretArn'] }], not: { required: ['workgroupName'] } },
      { required: ['workgroupName'], not: { anyOf: [{ required: ['clusterIdentifier'] }, { required: ['dbUser'] }] } },
    ],
  },
);

type Settings = typeof settings.static;

export default defineConnector({
  name: 'redshift',
  version: '0.1.0',
  category: 'warehouse',
  description: 'Loads events into Amazon Redshift tables (one per event type) through the Redshift Data API, adding columns as they appear.',
  settings,
  egress: (s) => [dataApiHost(s.region)],
  regions: (s) => awsResidencyRegions(s.region),
  // Every statement is queued on the cluster: a few large batches cost less than many small ones.
  defaults: { ratePerSecond: 5, maxConcurrency: 2, requestTimeoutMs: 60_000 },
  ...warehouseConnectorParts<Settings>(
    writerPerConnection((ctx) => new RedshiftStore(new DataApi(ctx.http, ctx.settings), ctx.settings.schema)),
    { maxItems: 1000 },
  ),
});
