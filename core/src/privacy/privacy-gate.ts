import type { CanonicalEvent } from '@switchyard/sdk-kit';
import type { DeliveryGate } from '../delivery/connection-dispatcher.js';
import type { ProfileStore } from '../profiles/profile-store.js';
import { consentFromEvent, evaluateConsent, isRevocation, type UserConsent } from './consent.js';
import { identityKeysOf } from './identity-keys.js';
import type { PrivacyAudit } from './privacy-audit.js';
import type { ConnectionConsentRule, PrivacyConfig } from './privacy-config.js';
import type { SuppressionStore } from './suppression-store.js';

/** What the gate needs to know of a connection. */
export interface PrivacyConnection {
  id: string;
  category: string;
  consent?: ConnectionConsentRule;
}

export interface PrivacyGateDeps {
  /** Read on every decision, so a config reload takes effect at once. */
  config: () => PrivacyConfig;
  profiles: ProfileStore;
  suppressions: SuppressionStore;
  audit: PrivacyAudit;
  connections: () => PrivacyConnection[];
}

export type Admission = { admitted: true; consent: UserConsent } | { admitted: false; reason: 'suppressed' };

/**
 * Decides what may leave. Checked at ingestion (suppression), at fan-out (consent per connection) and
 * again right before a connector runs (`deliveryGate`), so a revocation, suppression or erasure that
 * lands while events wait in the queue or between retries still stops them.
 */
export class PrivacyGate {
  /** Events accepted after this instant were checked against every revocation; older ones are re-checked. */
  private revokedAt = Date.now();

  constructor(private readonly deps: PrivacyGateDeps) {}

  /** Ingestion: drops suppressed users and records the consent the event carries. */
  admit(event: CanonicalEvent): Admission {
    const keys = identityKeysOf(event.identities);
    if (this.deps.suppressions.isSuppressed(keys)) {
      this.deps.audit.record('suppressed', { sourceId: event.sourceId });
      return { admitted: false, reason: 'suppressed' };
    }
    const reported = consentFromEvent(event.context.consent, Date.parse(event.timestamp) || Date.now(), this.deps.config());
    const stored = this.deps.profiles.consentOf(keys);
    if (Object.keys(reported.purposes).length === 0 && !reported.saleOptOut) return { admitted: true, consent: stored };
    const consent = keys.length ? this.deps.profiles.recordConsent(keys, reported) : reported;
    if (isRevocation(stored, consent)) this.noteRevocation();
    return { admitted: true, consent };
  }

  /** Fan-out: the connections among `connectionIds` this user's consent allows. */
  allowedConnections(event: CanonicalEvent, consent: UserConsent, connectionIds: string[]): string[] {
    const byId = new Map(this.deps.connections().map((c) => [c.id, c]));
    return connectionIds.filter((id) => {
      const connection = byId.get(id);
      if (!connection) return false;
      const verdict = this.verdict(connection, consent);
      if (!verdict.allowed) this.deps.audit.record(`blocked:${verdict.reason}`, { sourceId: event.sourceId, connectionId: id });
      return verdict.allowed;
    });
  }

  /** Called when suppression, erasure or a consent withdrawal lands: queued events get re-checked. */
  noteRevocation(): void {
    this.revokedAt = Date.now();
  }

  readonly deliveryGate: DeliveryGate = async (connectionId, items) => {
    const connection = this.deps.connections().find((c) => c.id === connectionId);
    return items.map((item) => {
      if (item.enqueuedAt > this.revokedAt) return { deliver: true };
      const event = JSON.parse(item.body) as CanonicalEvent;
      const keys = identityKeysOf(event.identities);
      if (this.deps.suppressions.isSuppressed(keys)) {
        this.deps.audit.record('suppressed', { sourceId: event.sourceId, connectionId });
        return { deliver: false, reason: 'suppressed' };
      }
      if (!connection) return { deliver: true };
      const verdict = this.verdict(connection, this.deps.profiles.consentOf(keys));
      if (!verdict.allowed) {
        this.deps.audit.record(`blocked:${verdict.reason}`, { sourceId: event.sourceId, connectionId });
        return { deliver: false, reason: verdict.reason };
      }
      return { deliver: true };
    });
  };

  private verdict(connection: PrivacyConnection, consent: UserConsent) {
    const saleOrShare = connection.consent?.saleOrShare ?? connection.category === 'advertising';
    return evaluateConsent(consent, connection.consent, saleOrShare, this.deps.config());
  }
}
