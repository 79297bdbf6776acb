import { defineConnector, Type } from '@switchyard/sdk-kit';
import { warehouseConnectorParts, writerPerConnection } from '@switchyard/sdk-kit/warehouse';
import { JwtCache, loadPrivateKey } from './keypair-jwt.js';
import { StatementsApi } from './statements-api.js';
import { SnowflakeStore } from './snowflake-store.js';

export { accountForJwt, publicKeyFingerprint, signKeyPairJwt } from './keypair-jwt.js';
export { toSnowflakeError } from './snowflake-errors.js';
export { readSnowflakeType } from './snowflake-store.js';

const identifier = (description: string) => Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_$]{0,254}$', description });

const settings = Type.Object(
  {
    account: Type.String({
      pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
      description: 'Account identifier as in <account>.snowflakecomputing.com: myorg-myaccount, or a locator such as xy12345.us-east-1.',
    }),
    user: Type.String({ minLength: 1, description: 'The user whose RSA_PUBLIC_KEY matches privateKey.' }),
    privateKey: Type.String({ secret: true, minLength: 64, description: 'PEM private key (PKCS#8) of the key pair registered on the user.' }),
    privateKeyPassphrase: Type.Optional(Type.String({ secret: true, description: 'Passphrase of an encrypted private key.' })),
    database: identifier('Database the schema lives in; it must exist.'),
    schema: identifier('Schema the tables are created in (created if missing).'),
    warehouse: Type.Optional(identifier("Virtual warehouse that runs the statements (default: the user's).")),
    role: Type.Optional(identifier("Role to run as (default: the user's); needs CREATE TABLE on the schema.")),
  },
  { additionalProperties: false },
);

type Settings = typeof settings.static;

export default defineConnector({
  name: 'snowflake',
  version: '0.1.0',
  category: 'warehouse',
  description: 'Loads events into Snowflake tables (one per event type) through the SQL API, adding columns as they appear.',
  settings,
  egress: (s) => [`${s.account.toLowerCase()}.snowflakecomputing.com`],
  // Each statement wakes the virtual warehouse: a few large batches cost less than many small ones.
  defaults: { ratePerSecond: 5, maxConcurrency: 2, requestTimeoutMs: 120_000 },
  ...warehouseConnectorParts<Settings>(
    writerPerConnection(
      (ctx) =>
        new SnowflakeStore(
          new StatementsApi(
            ctx.http,
            new JwtCache(ctx.settings.account, ctx.settings.user, loadPrivateKey(ctx.settings.privateKey, ctx.settings.privateKeyPassphrase)),
            ctx.settings,
          ),
        ),
    ),
    { maxItems: 1000 },
  ),
});
