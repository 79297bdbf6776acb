import type { CanonicalEvent } from '@switchyard/sdk-kit';
import type { DeliveryGate } from '../delivery/connection-dispatcher.js';
import type { QueuedDelivery } from '../queue/delivery-queue.js';
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

const ERASURE_MARK_TTL_MS = 24 * 3600 * 1000;

export type Admission = { admitted: true; consent: UserConsent } | { admitted: false; reason: 'suppressed' };

/**
 * Decides what may leave. Checked at ingestion (suppression), at fan-out (consent per connection) and
 * again right before a connector runs (`deliveryGate`), so a revocation, suppression or erasure that
 * lands while events wait in the queue or between retries still stops them.
 */
export class PrivacyGate {
  /** Events accepted after this instant were checked against every revocation; older ones are re-checked. */
  private revokedAt = Date.now();
  /** Identity key → when it was erased: stops events leased before the purge even when not suppressed. */
  private readonly erasedAt = new Map<string, number>();
  /** Tasks this gate let through that a worker has not finished yet. */
  private readonly inFlight = new Set<Promise<void>>();

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

  /** Called when a subject is erased: events of theirs accepted until now are never delivered. */
  noteErasure(identityKeys: string[]): void {
    const now = Date.now();
    // A leased event waits in memory for at most a few task timeouts, so a day-old mark can go.
    for (const [key, at] of this.erasedAt) if (at < now - ERASURE_MARK_TTL_MS) this.erasedAt.delete(key);
    for (const key of identityKeys) this.erasedAt.set(key, now);
    this.noteRevocation();
  }

  /**
   * Resolves once every task this gate has let through so far is over. A worker's task cannot be recalled,
   * so an erasure waits here before forwarding the deletion: the destination then hears of it last.
   */
  async deliveriesInFlight(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  readonly deliveryGate: DeliveryGate = async (connectionId, items, finished) => {
    const decisions = this.decide(connectionId, items);
    if (decisions.some((d) => d.deliver)) {
      this.inFlight.add(finished);
      void finished.finally(() => this.inFlight.delete(finished));
    }
    return decisions;
  };

  private decide(connectionId: string, items: QueuedDelivery[]): Array<{ deliver: boolean; reason?: string }> {
    const connection = this.deps.connections().find((c) => c.id === connectionId);
    return items.map((item) => {
      if (item.enqueuedAt > this.revokedAt) return { deliver: true };
      const event = JSON.parse(item.body) as CanonicalEvent;
      const keys = identityKeysOf(event.identities);
      if (keys.some((key) => item.enqueuedAt <= (this.erasedAt.get(key) ?? -Infinity))) return { deliver: false, reason: 'erased' };
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
  }

  private verdict(connection: PrivacyConnection, consent: UserConsent) {
    const saleOrShare = connection.consent?.saleOrShare ?? connection.category === 'advertising';
    return evaluateConsent(consent, connection.consent, saleOrShare, this.deps.config());
  }
}
