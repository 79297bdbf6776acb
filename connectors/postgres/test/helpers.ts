import { randomBytes } from 'node:crypto';

/** The PostgreSQL the tests load into: the PG* environment variables, or the local test server. */
export const server = {
  host: process.env.PGHOST ?? '127.0.0.1',
  port: Number(process.env.PGPORT ?? 5432),
  user: process.env.PGUSER ?? 'postgres',
  database: process.env.PGDATABASE ?? 'test',
};

/** A schema name no other test run uses, so runs never see each other's tables. */
export const randomSchema = () => `sy_test_${randomBytes(6).toString('hex')}`;
