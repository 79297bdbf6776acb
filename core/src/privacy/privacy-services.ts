import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PrivacyConfig } from '../config/config-types.js';
import { ProfileStore } from '../profiles/profile-store.js';
import type { RevocationBoard } from '../revocation/revocation-board.js';
import { PrivacyAudit } from './privacy-audit.js';
import { resolvePrivacyConfig } from './privacy-config.js';
import { PrivacyGate, type PrivacyConnection, type PrivacyGateDeps } from './privacy-gate.js';
import { SuppressionStore } from './suppression-store.js';

export interface PrivacyServicesOptions {
  storageDir: string;
  privacy?: Partial<PrivacyConfig>;
  /** Shared with the delivery workers: every revocation is recorded on it. */
  revocations: RevocationBoard;
  /** The configured connections with their consent rules, read on every decision (reloads apply at once). */
  connections: () => readonly PrivacyConnection[];
  /** The people identifiers name (the identity graph), so privacy acts on the whole person. */
  persons?: PrivacyGateDeps['persons'];
}

/** The file privacy's stores live in, beside the queue (data-subject requests share it). */
export function privacyDatabaseFile(storageDir: string): string {
  return join(storageDir, 'privacy.db');
}

/**
 * Everything privacy decides with, over one SQLite file (`privacy.db`) beside the queue: profiles (consent and
 * rectified attributes), suppressions, audit counters, and the gate that reads them.
 */
export class PrivacyServices {
  private config: PrivacyConfig;
  private readonly flushTimer: NodeJS.Timeout;
  readonly profiles: ProfileStore;
  readonly suppressions: SuppressionStore;
  readonly audit: PrivacyAudit;
  readonly gate: PrivacyGate;

  private constructor(
    private readonly db: Database.Database,
    options: PrivacyServicesOptions,
    runBase: number,
  ) {
    this.config = resolvePrivacyConfig(options.privacy);
    this.profiles = new ProfileStore(db);
    this.suppressions = new SuppressionStore(db);
    this.audit = new PrivacyAudit(db);
    this.gate = new PrivacyGate({
      config: () => this.config,
      profiles: this.profiles,
      suppressions: this.suppressions,
      audit: this.audit,
      connections: options.connections,
      board: options.revocations,
      runBase,
      ...(options.persons ? { persons: options.persons } : {}),
    });
    this.flushTimer = setInterval(() => this.audit.flush(), 1000);
    this.flushTimer.unref();
  }

  static open(options: PrivacyServicesOptions): PrivacyServices {
    mkdirSync(options.storageDir, { recursive: true });
    const db = new Database(privacyDatabaseFile(options.storageDir));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    return new PrivacyServices(db, options, nextRunBase(db));
  }

  /** A config reload replaces purposes and the missing-consent policy without a restart. */
  updateConfig(privacy: Partial<PrivacyConfig> | undefined): void {
    this.config = resolvePrivacyConfig(privacy);
  }

  /** Where the shared state's last applied change is kept: in this file, beside the stores it was applied to. */
  sharedStateCursor(schema: string): { read(): number; write(id: number): void } {
    this.db.exec('CREATE TABLE IF NOT EXISTS shared_state_cursor (schema TEXT PRIMARY KEY, last_id INTEGER NOT NULL)');
    const read = this.db.prepare<[string], { last_id: number }>('SELECT last_id FROM shared_state_cursor WHERE schema = ?');
    const write = this.db.prepare(
      'INSERT INTO shared_state_cursor (schema, last_id) VALUES (?, ?) ON CONFLICT(schema) DO UPDATE SET last_id = excluded.last_id',
    );
    return { read: () => read.get(schema)?.last_id ?? 0, write: (id) => void write.run(schema, id) };
  }

  get privacyConfig(): PrivacyConfig {
    return this.config;
  }

  close(): void {
    clearInterval(this.flushTimer);
    this.audit.flush();
    this.profiles.flush();
    if (this.db.open) this.db.close();
  }
}

/**
 * Privacy versions are `run × 2^32 + revocations in this run`; the run number is persisted, so every version
 * stamped on a queued delivery by an earlier run is below this run's and gets checked again once.
 */
function nextRunBase(db: Database.Database): number {
  db.exec('CREATE TABLE IF NOT EXISTS privacy_runs (id INTEGER PRIMARY KEY CHECK (id = 1), run INTEGER NOT NULL)');
  const run = db.transaction(() => {
    const row = db.prepare('SELECT run FROM privacy_runs WHERE id = 1').get() as { run: number } | undefined;
    const next = (row?.run ?? 0) + 1;
    db.prepare('INSERT INTO privacy_runs (id, run) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET run = excluded.run').run(next);
    return next;
  })();
  return run * 2 ** 32;
}
