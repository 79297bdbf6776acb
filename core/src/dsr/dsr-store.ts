import type { DsrRecord } from './dsr-types.js';

/**
 * Data-subject requests, persisted so a restart resumes the ones not yet completed. A round of a request runs
 * under a claim: one processor holds it until it releases it or its lease runs out, so processors sharing the
 * store (routers on one PostgreSQL schema) never run a request twice at once.
 */
export interface DsrStore {
  /** False when a request with this id exists already. */
  insert(record: DsrRecord): Promise<boolean>;
  save(record: DsrRecord): Promise<void>;
  get(id: string): Promise<DsrRecord | undefined>;
  byResultsToken(token: string): Promise<DsrRecord | undefined>;
  /** Pending and in-progress requests, whoever holds them. */
  unfinished(): Promise<DsrRecord[]>;
  /**
   * Takes the request for `owner` for `leaseMs` (or extends its own claim): the record when it is pending or in
   * progress and no other owner holds a live claim, otherwise undefined.
   */
  claim(id: string, owner: string, leaseMs: number): Promise<DsrRecord | undefined>;
  release(id: string, owner: string): Promise<void>;
  /** Saves the record as cancelled if it is still pending and nobody holds it; false otherwise. */
  cancel(record: DsrRecord): Promise<boolean>;
  /** Keeps an access/portability export where every processor sharing the store can serve it (when shared). */
  shareResults(token: string, content: Buffer): Promise<void>;
  /** An export kept by `shareResults`, for a processor that does not have its file. */
  sharedResults(token: string): Promise<Buffer | undefined>;
  close(): Promise<void>;
}
