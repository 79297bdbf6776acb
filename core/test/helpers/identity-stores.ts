import type { IdentityConfig } from '../../src/index.js';

export interface IdentityStoreCase {
  name: string;
  /** The `identity` config section that selects this store. */
  config(): IdentityConfig;
  /** Removes what a test left in the store (PostgreSQL schemas). */
  cleanup(): Promise<void>;
}

/** The identity graph stores every identity test runs against. */
export function identityStores(): IdentityStoreCase[] {
  return [{ name: 'sqlite', config: () => ({}), cleanup: async () => undefined }];
}
