import type { PurposeDecision, UserConsent } from '../profiles/consent-record.js';
import type { PrivacyChange } from './privacy-change.js';

/** A later consent or erasure row, as the rows before it see it. */
interface LaterRow {
  id: number;
  keys: ReadonlySet<string>;
  /** Absent for an erasure, which removes everything kept under its keys. */
  consent?: UserConsent;
}

/**
 * Finds the changes of the shared feed whose effect a later change undoes entirely, so that a router applying the
 * feed without them ends with the same stores. Fed the feed from its newest change to its oldest, it answers for
 * each whether it is superseded:
 *
 * - consent under keys K, when the first later consent or erasure change naming any key of K names all of them and
 *   is an erasure, or a consent record holding, for every purpose (and sale opt-out) of the earlier one, a decision
 *   at least as late (the same decision when as late): applying a consent change writes the merge of K's records
 *   to every key of K, and the later change writes its own merge over a superset, which the earlier one no longer
 *   changes;
 * - attributes (from events or rectification), when every key they are set under is erased later. Not when the
 *   attribute is set again later: the profile store keeps the time of a value it already holds when the same value
 *   comes again, so what a later change leaves depends on the changes before it.
 *
 * Suppressions and erasures are never superseded here: a suppression's keys decide which suppression others join.
 */
export class SupersededChanges {
  /** Per key, the first later consent or erasure row naming it. */
  private readonly nextTouch = new Map<string, LaterRow>();
  private readonly erasedLater = new Set<string>();

  /**
   * Called in descending id order, for every change of the feed. `mayDrop`: whether the caller will delete the
   * change when it is superseded (one that stays is counted as staying).
   */
  consider(id: number, change: PrivacyChange, mayDrop = true): boolean {
    switch (change.kind) {
      case 'consent': {
        const superseded = mayDrop && this.consentSuperseded(change.keys, change.consent);
        // A superseded row leaves the rows before it to the one that supersedes it, which names all its keys.
        if (!superseded) this.touch({ id, keys: new Set(change.keys), consent: change.consent });
        return superseded;
      }
      case 'erased':
        this.touch({ id, keys: new Set(change.keys) });
        for (const key of change.keys) this.erasedLater.add(key);
        return false;
      case 'traits':
        return mayDrop && change.entries.length > 0 && change.entries.every((entry) => this.erasedLater.has(entry.key));
      case 'rectified':
        return mayDrop && change.keys.length > 0 && change.keys.every((key) => this.erasedLater.has(key));
      default:
        return false;
    }
  }

  private touch(row: LaterRow): void {
    for (const key of row.keys) this.nextTouch.set(key, row);
  }

  private consentSuperseded(keys: readonly string[], consent: UserConsent): boolean {
    let first: LaterRow | undefined;
    for (const key of keys) {
      const later = this.nextTouch.get(key);
      if (!later) return false;
      if (!first || later.id < first.id) first = later;
    }
    if (!first || !keys.every((key) => first.keys.has(key))) return false;
    if (!first.consent) return true;
    const later = first.consent;
    const covers = (earlier: PurposeDecision | undefined, after: PurposeDecision | undefined) =>
      !earlier ||
      (after !== undefined && (after.timestamp > earlier.timestamp || (after.timestamp === earlier.timestamp && after.consented === earlier.consented)));
    return (
      Object.entries(consent.purposes).every(([purpose, decision]) => covers(decision, later.purposes[purpose])) && covers(consent.saleOptOut, later.saleOptOut)
    );
  }
}
