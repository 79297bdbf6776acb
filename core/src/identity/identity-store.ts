/**
 * Storage of the identity graph. The graph's rules live in identity-graph.ts and resolution-plan.ts; a store
 * only keeps profiles, the identifiers linked to them, and the log of every change, and applies a change in one
 * transaction. The embedded default is SQLite (sqlite-identity-store.ts); PostgreSQL lets routers share it.
 */

/** An identifier as the graph keeps it: canonical type, normalised value, and its identity key. */
export interface Identifier {
  type: string;
  value: string;
  key: string;
}

export interface LinkedIdentifier extends Identifier {
  /** When it was linked to the profile (epoch ms); per-type limits with a window count these. */
  linkedAt: number;
}

export interface StoredProfile {
  /** A signed 64-bit integer as a decimal string (the mpid). */
  id: string;
  createdAt: number;
  identifiers: LinkedIdentifier[];
}

export type GraphLogKind = 'create' | 'link' | 'merge' | 'split' | 'unlink' | 'modify';

/** One append-only record: what changed, what caused it, and under which rule. */
export interface GraphLogEntry {
  id: number;
  at: number;
  kind: GraphLogKind;
  profileId: string;
  /** The profile merged into `profileId` (merge), or split back out of it (split). */
  otherProfileId?: string;
  identifiers: Identifier[];
  /** `event:<messageId>`, `idsync:<operation>`, `admin`… */
  cause: string;
  rule: string;
}

/** Everything one resolution (or admin operation) changes, applied atomically: create, restore, merge, unlink, link, separate, log. */
export interface GraphChange {
  create: Array<{ id: string; createdAt: number }>;
  /** Profiles that come back from a merge (split): their alias to the survivor is removed. */
  restore: string[];
  link: Array<{ profileId: string; identifier: LinkedIdentifier }>;
  unlink: Array<{ profileId: string; key: string }>;
  /** `from` is merged into `into`: its links move, it becomes an alias of `into`. */
  merge: Array<{ from: string; into: string }>;
  /** Pairs never joined again automatically: `['profile:<id>', profile id]` or `[identity key, profile id]`. */
  separate: Array<[string, string]>;
  log: Array<Omit<GraphLogEntry, 'id'>>;
}

export function emptyChange(): GraphChange {
  return { create: [], restore: [], link: [], unlink: [], merge: [], separate: [], log: [] };
}

export function isEmptyChange(change: GraphChange): boolean {
  return Object.values(change).every((list: unknown[]) => list.length === 0);
}

export interface IdentityStore {
  /** The profile ids each key is linked to, in byte order of the ids; keys without links are absent. */
  profilesByKey(keys: readonly string[]): Promise<Map<string, string[]>>;
  /** Profiles with every identifier, by id; an id merged away is answered with its survivor's profile. */
  profiles(ids: readonly string[]): Promise<Map<string, StoredProfile>>;
  /** Ids merged into these profiles (directly or through earlier merges). */
  aliasesOf(ids: readonly string[]): Promise<Map<string, string[]>>;
  /** Every separation (as `a|b`) that names one of these profiles, on either side. */
  separations(profileIds: readonly string[]): Promise<Set<string>>;
  /** Which of these hashed keys belong to erased people. */
  tombstoned(hashes: readonly string[]): Promise<Set<string>>;
  /** False when no one was ever erased, so resolution skips hashing keys. */
  hasTombstones(): Promise<boolean>;
  apply(change: GraphChange): Promise<void>;
  log(profileId: string, limit: number): Promise<GraphLogEntry[]>;
  logEntry(id: number): Promise<GraphLogEntry | undefined>;
  /** Deletes profiles (and their aliases, links, log and separations) and records the tombstones, in one transaction. */
  erase(profileIds: readonly string[], tombstones: readonly string[], at: number): Promise<void>;
  /** Number of linked identifiers (for the operator and the benchmark). */
  countIdentifiers(): Promise<number>;
  /**
   * Present when several routers share the store: runs `work` while no other router runs its own, so a resolution
   * reads and writes the graph as one step across routers. The graph then keeps no answers in memory between runs.
   */
  exclusive?<T>(work: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
