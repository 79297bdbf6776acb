import pg from 'pg';
import { runConformanceSuite } from '@switchyard/sdk-kit/testing';
import connector, { closeWarehouses } from '../src/index.js';
import { randomSchema } from './helpers.js';

const server = {
  host: process.env.PGHOST ?? '127.0.0.1',
  port: Number(process.env.PGPORT ?? 5432),
  user: process.env.PGUSER ?? 'postgres',
  database: process.env.PGDATABASE ?? 'test',
};
const schema = randomSchema();

afterAll(async () => {
  await closeWarehouses();
  const admin = new pg.Client(server);
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
});

// A password the server (trust auth) ignores, so the secrets check has a value to look for.
runConformanceSuite(connector, { settings: { ...server, password: 'conformance-Secret-1', schema } });
