import type { UserConsent } from '../profiles/consent-record.js';
import type { TraitEntry } from '../profiles/profile-store.js';
import type { Suppression } from './suppression-store.js';

/**
 * A change of what privacy keeps about people, as one router tells the others (the shared state,
 * docs/deployment.md). Every change is idempotent and merges (consent: the latest decision per purpose wins), so
 * a router applying one it already holds changes nothing.
 */
export type PrivacyChange =
  /** A suppression and every key of its person. */
  | { kind: 'suppressed'; suppression: Suppression; keys: string[] }
  /** A suppression now also covers these keys (the person gained identifiers or absorbed another profile). */
  | { kind: 'suppression_extended'; suppressionId: string; keys: string[] }
  | { kind: 'unsuppressed'; suppressionId: string }
  /** Consent recorded under these keys. */
  | { kind: 'consent'; keys: string[]; consent: UserConsent }
  /** A data-subject erasure: what is kept under these keys goes, and deliveries decided before it never leave. */
  | { kind: 'erased'; keys: string[] }
  /** Attributes set from events (each the latest by its time), written by one router in one go. */
  | { kind: 'traits'; entries: TraitEntry[] }
  /** Attribute corrections (`null` removes one) under these keys. */
  | { kind: 'rectified'; keys: string[]; changes: Record<string, unknown>; at: number };

/** Where a router's privacy changes go so that every other router applies them. */
export interface PrivacyChangeOutlet {
  /** Resolves once the change is stored where every router reads it. */
  publish(change: PrivacyChange): Promise<void>;
}
