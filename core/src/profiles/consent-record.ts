/**
 * A user's consent as Switchyard stores it on their profile, in the deployment's own purposes. How consent is
 * read from events and decided per connection is privacy's business (privacy/consent.ts).
 */

/** One purpose's recorded decision; the latest timestamp wins when two disagree. */
export interface PurposeDecision {
  consented: boolean;
  timestamp: number;
}

/** A user's consent, in the deployment's own purposes. */
export interface UserConsent {
  purposes: Record<string, PurposeDecision>;
  /** CCPA: true means the user opted OUT of the sale or sharing of their data. */
  saleOptOut?: PurposeDecision;
}

/** Keeps the decision with the later timestamp. */
export function keepLatest(into: Record<string, PurposeDecision>, key: string, decision: PurposeDecision): void {
  const current = into[key];
  if (!current || decision.timestamp >= current.timestamp) into[key] = decision;
}

/** Merges two consent records purpose by purpose; the later timestamp wins. */
export function mergeConsent(a: UserConsent, b: UserConsent): UserConsent {
  const purposes = { ...a.purposes };
  for (const [id, decision] of Object.entries(b.purposes)) keepLatest(purposes, id, decision);
  const saleOptOut = !a.saleOptOut
    ? b.saleOptOut
    : !b.saleOptOut
      ? a.saleOptOut
      : b.saleOptOut.timestamp >= a.saleOptOut.timestamp
        ? b.saleOptOut
        : a.saleOptOut;
  return { purposes, ...(saleOptOut ? { saleOptOut } : {}) };
}
