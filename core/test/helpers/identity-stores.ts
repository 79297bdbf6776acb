import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { IdentityStore } from '../../src/identity/identity-store.js';
import { PostgresIdentityStore } from '../../src/identity/postgres-identity-store.js';
import { SqliteIdentityStore } from '../../src/identity/sqlite-identity-store.js';
import type { IdentityConfig } from '../../src/index.js';

/** The local test server (trust auth), or the one `SWITCHYARD_TEST_PG_URL` names. */
export const PG_URL = process.env.SWITCHYARD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A schema name no other test run uses. */
export const randomSchema = () => `sy_test_${randomBytes(6).toString('hex')}`;

/** Opens empty stores of one kind and removes everything they wrote once the tests are done. */
export interface StoreMaker {
  open(): Promise<IdentityStore>;
  cleanup(): Promise<void>;
}

/** Each store is a new file in one temporary directory. */
export function sqliteStores(): StoreMaker {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-identity-'));
  let opened = 0;
  return {
    open: async () => new SqliteIdentityStore(join(dir, `identity-${++opened}.db`)),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Each store is a new schema on the test server, dropped at cleanup. */
export function postgresStores(): StoreMaker {
  const schemas: string[] = [];
  return {
    open: () => {
      const schema = randomSchema();
      schemas.push(schema);
      return PostgresIdentityStore.open({ url: PG_URL, schema });
    },
    cleanup: () => dropSchemas(schemas),
  };
}

export async function dropSchemas(schemas: string[]): Promise<void> {
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  try {
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await admin.end();
  }
}

/** How a router test selects one identity graph store through the config. */
export interface IdentityStoreCase {
  name: string;
  /** The `identity` config section that selects this store. */
  config(): IdentityConfig;
  /** Removes what a test left in the store (PostgreSQL schemas). */
  cleanup(): Promise<void>;
}

/** The identity graph stores every router-level identity test runs against: the embedded default and PostgreSQL. */
export function identityStores(): IdentityStoreCase[] {
  const schemas: string[] = [];
  let current: string | undefined;
  return [
    { name: 'sqlite', config: () => ({}), cleanup: async () => undefined },
    {
      name: 'postgres',
      config: () => {
        current = randomSchema();
        schemas.push(current);
        return { store: { type: 'postgres', url: PG_URL, schema: current } };
      },
      cleanup: () => dropSchemas(schemas.splice(0)),
    },
  ];
}
