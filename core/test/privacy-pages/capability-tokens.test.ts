import Database from 'better-sqlite3';
import { CapabilityTokens, isTokenShaped } from '../../src/privacy-pages/capability-tokens.js';

describe('capability tokens of the request page', () => {
  let now = 1_000_000;
  let db: Database.Database;
  let tokens: CapabilityTokens;

  beforeEach(() => {
    db = new Database(':memory:');
    tokens = new CapabilityTokens(db, () => now);
  });
  afterEach(() => db.close());

  it('gives a verification token once, and never after it expires', () => {
    const once = tokens.issue('verification', { email: 'a@example.com' }, 60_000);
    expect(isTokenShaped(once)).toBe(true);
    expect(tokens.read('verification', once)).toEqual({ email: 'a@example.com' });
    expect(tokens.consume('verification', once)).toEqual({ email: 'a@example.com' });
    expect(tokens.consume('verification', once)).toBeUndefined();
    expect(tokens.read('verification', once)).toBeUndefined();

    const late = tokens.issue('verification', { email: 'b@example.com' }, 60_000);
    now += 60_000;
    expect(tokens.read('verification', late)).toBeUndefined();
    expect(tokens.consume('verification', late)).toBeUndefined();
  });

  it('does not take a token of one kind for another', () => {
    const status = tokens.issue('status', { requestId: 'r-1' }, 60_000);
    expect(tokens.consume('verification', status)).toBeUndefined();
    expect(tokens.read('status', status)).toEqual({ requestId: 'r-1' });
  });

  it('keeps only the hash, and drops expired rows', () => {
    const token = tokens.issue('verification', {}, 1000);
    expect(JSON.stringify(db.prepare('SELECT * FROM privacy_page_tokens').all())).not.toContain(token);
    now += 1000;
    tokens.issue('verification', {}, 1000);
    expect(db.prepare('SELECT COUNT(*) AS n FROM privacy_page_tokens').get()).toEqual({ n: 1 });
  });
});
