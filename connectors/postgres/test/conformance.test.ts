import pg from 'pg';
import { runConformanceSuite } from '@switchyard/sdk-kit/testing';
import connector, { closeWarehouses } from '../src/index.js';
import { randomSchema, server } from './helpers.js';

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
