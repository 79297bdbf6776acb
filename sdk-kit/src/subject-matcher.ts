import { normalizeEmail } from './identifiers/normalize.js';

/** An identity value as Switchyard compares it everywhere: trimmed, and emails lower-cased. */
export function normalizeIdentity(type: string, value: string): string {
  return type === 'email' ? normalizeEmail(value) : value.trim();
}

/** The event fields that name a user besides the canonical `identities` object. */
const ID_FIELDS = { userId: 'user_id', anonymousId: 'anonymous_id', profileId: 'profile_id' } as const;

/**
 * Finds a data subject's records among stored canonical events by any identity the subject is known by:
 * each record's `identities`, `userId`, `anonymousId` and `profileId`; emails case-insensitively. `learnFrom`
 * adds the user and anonymous ids of records that match by email, one level only (as warehouses do, see
 * docs/warehouses.md#erasure-and-access), so a shared device does not pull in another person's records.
 */
export class SubjectMatcher {
  private readonly values = new Map<string, Set<string>>();
  private readonly emails: Set<string>;

  constructor(identities: Record<string, string>) {
    for (const [type, value] of Object.entries(identities)) {
      if (typeof value === 'string' && value.trim()) this.add(type, value);
    }
    this.emails = new Set(this.values.get('email') ?? []);
  }

  /** True when the subject has an email, i.e. `learnFrom` can find more ids. */
  get hasEmail(): boolean {
    return this.emails.size > 0;
  }

  matches(record: unknown): boolean {
    return identitiesOf(record).some(([type, value]) => this.values.get(type)?.has(normalizeIdentity(type, value)) ?? false);
  }

  /** Adds the user and anonymous ids of a record that carries one of the subject's own emails. */
  learnFrom(record: unknown): void {
    const identities = identitiesOf(record);
    if (!identities.some(([type, value]) => type === 'email' && this.emails.has(normalizeEmail(value)))) return;
    for (const [type, value] of identities) if (type === 'user_id' || type === 'anonymous_id') this.add(type, value);
  }

  private add(type: string, value: string): void {
    let set = this.values.get(type);
    if (!set) {
      set = new Set();
      this.values.set(type, set);
    }
    set.add(normalizeIdentity(type, value));
  }
}

function identitiesOf(record: unknown): Array<[string, string]> {
  if (!record || typeof record !== 'object') return [];
  const r = record as Record<string, unknown>;
  const out: Array<[string, string]> = [];
  if (r.identities && typeof r.identities === 'object') {
    for (const [type, value] of Object.entries(r.identities as Record<string, unknown>)) if (typeof value === 'string') out.push([type, value]);
  }
  for (const [field, type] of Object.entries(ID_FIELDS)) if (typeof r[field] === 'string') out.push([type, r[field] as string]);
  return out;
}
