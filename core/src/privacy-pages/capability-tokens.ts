import type Database from 'better-sqlite3';
import { createHash, randomBytes } from 'node:crypto';

/** What a token is for: a one-time email verification, or the link a person follows their request with. */
export type TokenKind = 'verification' | 'status';

/**
 * Capability tokens of the request page, stored only as their SHA-256 hash: a copy of the database cannot be
 * turned into working links. Verification tokens expire and are used once; status links last as long as the
 * request's results do.
 */
export class CapabilityTokens {
  private readonly statements;

  constructor(
    db: Database.Database,
    private readonly now: () => number = Date.now,
  ) {
    db.exec(`CREATE TABLE IF NOT EXISTS privacy_page_tokens (
      hash TEXT PRIMARY KEY, kind TEXT NOT NULL, payload TEXT NOT NULL, expires_at INTEGER NOT NULL, used_at INTEGER
    )`);
    this.statements = {
      insert: db.prepare('INSERT INTO privacy_page_tokens (hash, kind, payload, expires_at) VALUES (?, ?, ?, ?)'),
      consume: db.prepare('UPDATE privacy_page_tokens SET used_at = ? WHERE hash = ? AND kind = ? AND used_at IS NULL AND expires_at > ? RETURNING payload'),
      read: db.prepare('SELECT payload FROM privacy_page_tokens WHERE hash = ? AND kind = ? AND used_at IS NULL AND expires_at > ?'),
      purge: db.prepare('DELETE FROM privacy_page_tokens WHERE expires_at <= ?'),
    };
  }

  /** A new token for `payload`, valid for `ttlMs`; only its hash is kept. */
  issue(kind: TokenKind, payload: unknown, ttlMs: number): string {
    const token = randomBytes(32).toString('base64url');
    this.statements.purge.run(this.now());
    this.statements.insert.run(hashOf(token), kind, JSON.stringify(payload), this.now() + ttlMs);
    return token;
  }

  /** The payload of an unused, unexpired token, marking it used; undefined otherwise (the same answer for every failure). */
  consume<T>(kind: TokenKind, token: string): T | undefined {
    const row = this.statements.consume.get(this.now(), hashOf(token), kind, this.now()) as { payload: string } | undefined;
    return row ? (JSON.parse(row.payload) as T) : undefined;
  }

  /** The payload of an unused, unexpired token, which stays usable (status links; a verification link shown before it is used). */
  read<T>(kind: TokenKind, token: string): T | undefined {
    const row = this.statements.read.get(hashOf(token), kind, this.now()) as { payload: string } | undefined;
    return row ? (JSON.parse(row.payload) as T) : undefined;
  }
}

function hashOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Whether a string has the shape of a token this module issues (checked before any lookup). */
export function isTokenShaped(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{43}$/.test(value);
}
