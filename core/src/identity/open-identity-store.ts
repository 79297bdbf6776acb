import { join } from 'node:path';
import type { IdentityConfig } from '../config/config-types.js';
import type { IdentityStore } from './identity-store.js';
import { PostgresIdentityStore } from './postgres-identity-store.js';
import { SqliteIdentityStore } from './sqlite-identity-store.js';

/** The store `identity.store` names: PostgreSQL, or by default `identity.db` in the storage dir. */
export async function openIdentityStore(config: IdentityConfig | undefined, storageDir: string): Promise<IdentityStore> {
  const store = config?.store;
  if (store?.type === 'postgres') return PostgresIdentityStore.open({ url: store.url, schema: store.schema ?? 'switchyard' });
  return new SqliteIdentityStore(join(storageDir, 'identity.db'));
}
