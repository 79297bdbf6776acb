import type { CanonicalEvent } from '@switchyard/sdk-kit';
import type { DeliveryGate, GateDecision } from '../types.js';
import type { Person, RawIdentifier } from '../identity/identity-graph.js';
import type { Identifier } from '../identity/identity-store.js';
import { eventIdentityKeys, identityKey, profileKey } from '../vocabulary/identity-types.js';
import { isRequestedMessage } from '../vocabulary/requested-messages.js';
import type { ProfileStore } from '../profiles/profile-store.js';
import type { QueuedDelivery } from '../types.js';
import type { RevocationBoard } from '../revocation/revocation-board.js';
import type { UserConsent } from '../profiles/consent-record.js';
import { consentFromEvent, evaluateConsent, isRevocation, type ConsentVerdict } from './consent.js';
import type { PrivacyAudit } from './privacy-audit.js';
import type { PrivacyChange, PrivacyChangeOutlet } from './privacy-change.js';
import type { ConnectionConsentRule, PrivacyConfig } from '../config/config-types.js';
import type { SuppressionStore } from './suppression-store.js';

/** What the gate needs to know of a connection. */
export interface PrivacyConnection {
  id: string;
  connector: { category: string };
  consent?: ConnectionConsentRule;
}

export interface PrivacyGateDeps {
  /** Read on every decision, so a config reload takes effect at once. */
  config: () => PrivacyConfig;
  profiles: ProfileStore;
  suppressions: SuppressionStore;
  audit: PrivacyAudit;
  connections: () => readonly PrivacyConnection[];
  board: RevocationBoard;
  /** This run's first privacy version: every version handed out by an earlier run is below it. */
  runBase: number;
  /** The people identifiers name (the identity graph); without it every identifier stands alone. */
  persons?: (identifiers: RawIdentifier[]) => Promise<Person[]>;
}

/** Every key a person is known by: their identifiers, their profile and the profiles merged into it. */
export function personKeys(person: Person): string[] {
  return [...person.identifiers.map((i) => i.key), profileKey(person.profileId), ...person.aliases.map(profileKey)];
}

/** A user's right to be routed, as decided at one privacy version. */
export interface PrivacyStanding {
  consent: UserConsent;
  /** The identity keys the decision was made for (computed once, stored with the delivery). */
  identityKeys: string[];
  /** Every revocation up to this version was applied to the decision. */
  privacyVersion: number;
}

/**
 * Told when people's right to be processed changes, so what is kept about them beside privacy (audiences, what
 * audience syncs sent) follows. Each method is optional.
 */
export interface PrivacyListener {
  /** Every key of the people a suppression now covers (identifiers and `profile:` keys). */
  suppressed?(identityKeys: readonly string[]): void;
  /** Every key of the people a data-subject erasure names. */
  erased?(identityKeys: readonly string[]): void;
  /** Every key of a person whose recorded consent was withdrawn or given (a purpose, or the CCPA opt-out). */
  consentChanged?(identityKeys: readonly string[]): void;
}

/** `revocation` resolves once the consent change is applied: revoked here and, with shared state, stored for every router. */
export type Admission = ({ admitted: true; revocation?: Promise<void> } & PrivacyStanding) | { admitted: false; reason: 'suppressed' };

const ERASURE_MARK_TTL_MS = 24 * 3600 * 1000;

/**
 * Decides what may leave. Ingestion admits (suppression) and records consent; the routing decision asks which
 * connections a user's consent allows; and right before a connector runs, `deliveryGate` checks again every
 * delivery decided before the latest revocation. Revocations are numbered (the privacy version), so "decided
 * before" never depends on clocks or on when the queue stamped a row.
 */
export class PrivacyGate {
  /** Identity key → privacy version of its erasure: stops deliveries decided before it even when not suppressed. */
  private readonly erasedAt = new Map<string, { version: number; at: number }>();
  /** Tasks this gate let through that a worker has not finished yet. */
  private readonly inFlight = new Set<Promise<void>>();
  private readonly listeners: PrivacyListener[] = [];
  private outlet?: PrivacyChangeOutlet;

  constructor(private readonly deps: PrivacyGateDeps) {}

  listen(listener: PrivacyListener): void {
    this.listeners.push(listener);
  }

  /** With shared state: every privacy change made here is also published there, for the other routers. */
  shareChanges(outlet: PrivacyChangeOutlet): void {
    this.outlet = outlet;
    // Attributes are no revocation: nothing waits for them, and one lost write leaves the other routers' copy older.
    this.deps.profiles.onTraitsWritten((entries) => void outlet.publish({ kind: 'traits', entries }).catch(() => undefined));
  }

  private publish(change: PrivacyChange): Promise<void> {
    return this.outlet ? this.outlet.publish(change) : Promise.resolve();
  }

  /**
   * The revocation count now. Work checked here from now on carries it to its worker, whose last check catches
   * any revocation after it.
   */
  get checkpoint(): number {
    return this.deps.board.count;
  }

  /** The current privacy version; it grows with every revocation and across restarts. */
  get version(): number {
    return this.deps.runBase + this.deps.board.count;
  }

  /** Reads what admitting these events will look up, in one go. */
  prepare(events: readonly CanonicalEvent[]): void {
    this.deps.profiles.prefetchConsent(events.flatMap(eventIdentityKeys));
  }

  /** Ingestion: drops suppressed users and records the consent the event carries. */
  admit(event: CanonicalEvent): Admission {
    const privacyVersion = this.version;
    const keys = this.keysUnlessSuppressed(event);
    if (!keys) return { admitted: false, reason: 'suppressed' };
    const reported = consentFromEvent(event.context.consent, Date.parse(event.timestamp) || Date.now(), this.deps.config());
    if (Object.keys(reported.purposes).length === 0 && !reported.saleOptOut)
      return { admitted: true, consent: this.deps.profiles.consentOf(keys), identityKeys: keys, privacyVersion };
    const { consent, revocation } = this.recordConsent(keys, reported);
    return { admitted: true, consent, identityKeys: keys, privacyVersion, ...(revocation ? { revocation } : {}) };
  }

  /**
   * Records a person's consent under every key they are known by, as an event carrying it would (the consent
   * banner records a visitor's choice here): a withdrawal is a revocation, so deliveries decided before it are
   * decided again before they leave.
   */
  recordConsent(keys: readonly string[], reported: UserConsent): { consent: UserConsent; revocation?: Promise<void> } {
    const stored = this.deps.profiles.consentOf([...keys]);
    const consent = keys.length ? this.deps.profiles.recordConsent([...keys], reported) : reported;
    const withdrawn = isRevocation(stored, consent);
    if (withdrawn || isRevocation(consent, stored)) this.tell((listener) => listener.consentChanged?.(keys));
    // A change is shared before the event is acknowledged, so no router goes on acting on the old consent.
    const shared =
      keys.length && this.outlet && JSON.stringify(stored) !== JSON.stringify(consent)
        ? this.publish({ kind: 'consent', keys: [...keys], consent })
        : undefined;
    const revocation = withdrawn ? Promise.all([this.revoke(keys), shared]).then(() => undefined) : shared;
    // The caller awaits it only once the events are queued: a failure meanwhile must not count as unhandled.
    revocation?.catch(() => undefined);
    return { consent, ...(revocation ? { revocation } : {}) };
  }

  /** The standing of a user whose event did not come through ingestion (rectification, replay). */
  standingOf(event: CanonicalEvent): PrivacyStanding | undefined {
    const privacyVersion = this.version;
    const keys = this.keysUnlessSuppressed(event);
    if (!keys) return undefined;
    return { consent: this.deps.profiles.consentOf(keys), identityKeys: keys, privacyVersion };
  }

  /** The people these identifiers name (each identifier alone when there is no identity graph). */
  async personsOf(identifiers: RawIdentifier[]): Promise<Person[]> {
    return this.deps.persons ? this.deps.persons(identifiers) : [];
  }

  /**
   * Suppresses the person an identifier names: the identifier, every other identifier of theirs and their profile.
   * Resolves once no delivery decided before it can still be leaving a worker.
   */
  async suppress(type: string, value: string, reason?: string) {
    const result = this.deps.suppressions.add(type, value, reason);
    const persons = await this.personsOf([{ type, value }]);
    const keys = persons.flatMap(personKeys);
    this.deps.suppressions.addPersonKeys(result.suppression.id, keys);
    const revoked = [identityKey(result.suppression.identity_type, result.suppression.identity_value), ...keys];
    this.tell((listener) => listener.suppressed?.(revoked));
    // Published even when it existed here: a retry after a failed publish shares it then.
    await Promise.all([this.revoke(revoked), this.publish({ kind: 'suppressed', suppression: result.suppression, keys })]);
    return result;
  }

  /** Removes a suppression (here and, with shared state, on every router); false when there is none with this id. */
  async unsuppress(id: string): Promise<boolean> {
    if (!this.deps.suppressions.remove(id)) return false;
    await this.publish({ kind: 'unsuppressed', suppressionId: id });
    return true;
  }

  /** Stores attribute corrections under these keys (and shares them); returns the resulting traits. */
  async rectify(identityKeys: string[], changes: Record<string, unknown>): Promise<Record<string, unknown>> {
    const at = Date.now();
    const traits = this.deps.profiles.rectify(identityKeys, changes, at);
    await this.publish({ kind: 'rectified', keys: identityKeys, changes, at });
    return traits;
  }

  /**
   * A change another router made (shared state): kept here as if made here, and revoked on this router's board, so
   * its late check stops what this router decided before. Never published again.
   */
  async applyShared(change: PrivacyChange): Promise<void> {
    const { suppressions, profiles } = this.deps;
    switch (change.kind) {
      case 'suppressed': {
        const id = suppressions.adopt(change.suppression);
        suppressions.addPersonKeys(id, change.keys);
        const revoked = [identityKey(change.suppression.identity_type, change.suppression.identity_value), ...change.keys];
        this.tell((listener) => listener.suppressed?.(revoked));
        return this.revoke(revoked);
      }
      case 'suppression_extended': {
        const id = suppressions.has(change.suppressionId) ? change.suppressionId : suppressions.suppressionOf(change.keys);
        if (!id) return;
        suppressions.addPersonKeys(id, change.keys);
        this.tell((listener) => listener.suppressed?.(change.keys));
        return this.revoke(change.keys);
      }
      case 'unsuppressed':
        suppressions.remove(change.suppressionId);
        return;
      case 'consent': {
        const stored = profiles.consentOf(change.keys);
        const consent = profiles.recordConsent(change.keys, change.consent);
        const withdrawn = isRevocation(stored, consent);
        if (withdrawn || isRevocation(consent, stored)) this.tell((listener) => listener.consentChanged?.(change.keys));
        return withdrawn ? this.revoke(change.keys) : undefined;
      }
      case 'erased': {
        const revoked = this.markErased(change.keys);
        profiles.delete(change.keys);
        return revoked;
      }
      case 'rectified': {
        const times = Object.fromEntries(Object.keys(change.changes).map((name) => [name, change.at]));
        profiles.applySharedTraits(change.keys.map((key) => ({ key, traits: change.changes, times })));
        return;
      }
      case 'traits':
        profiles.applySharedTraits(change.entries);
        return;
    }
  }

  /**
   * Two people became one: their consent and traits merge (the latest decision wins), a suppression of either
   * covers both, and deliveries decided for either before the merge are checked again when that changed anything.
   */
  async personMerged(from: string, into: string, identifiers: Identifier[]): Promise<void> {
    const keys = [...identifiers.map((i) => i.key), profileKey(from), profileKey(into)];
    const { before, after, from: fromConsent } = this.deps.profiles.mergeInto(profileKey(from), profileKey(into));
    const suppression = this.deps.suppressions.suppressionOf(keys);
    const shared: Array<Promise<void>> = [];
    if (suppression) {
      this.deps.suppressions.addPersonKeys(suppression, keys);
      this.tell((listener) => listener.suppressed?.(keys));
      shared.push(this.publish({ kind: 'suppression_extended', suppressionId: suppression, keys }));
    }
    const withdrawn = isRevocation(before, after) || isRevocation(fromConsent, after);
    if (withdrawn || isRevocation(after, before)) this.tell((listener) => listener.consentChanged?.(keys));
    if (JSON.stringify(before) !== JSON.stringify(after)) shared.push(this.publish({ kind: 'consent', keys: [profileKey(into)], consent: after }));
    if (suppression || withdrawn) shared.push(this.revoke(keys));
    await Promise.all(shared);
  }

  /**
   * Identifiers joined a person. A suppressed one suppresses the person (and deliveries decided for them before are
   * checked again); joining a suppressed person, they are suppressed with them.
   */
  async personLinked(profileId: string, added: Identifier[], identifiers: Identifier[]): Promise<void> {
    const suppression = this.deps.suppressions.suppressionOf([profileKey(profileId), ...added.map((i) => i.key)]);
    if (!suppression) return;
    const keys = [...identifiers.map((i) => i.key), profileKey(profileId)];
    const newlySuppressed = !this.deps.suppressions.suppressionOf([profileKey(profileId)]);
    this.deps.suppressions.addPersonKeys(suppression, keys);
    const shared = this.publish({ kind: 'suppression_extended', suppressionId: suppression, keys });
    if (!newlySuppressed) return shared;
    this.tell((listener) => listener.suppressed?.(keys));
    await Promise.all([this.revoke(keys), shared]);
  }

  /** A merge was split: the restored person keeps the consent and any suppression they had as part of it. */
  async personSplit(restored: string, from: string): Promise<void> {
    // Both halves keep the person's consent and traits: the restored profile takes the merged record.
    const { after } = this.deps.profiles.mergeInto(profileKey(from), profileKey(restored));
    const shared = [this.publish({ kind: 'consent', keys: [profileKey(restored)], consent: after })];
    const suppression = this.deps.suppressions.suppressionOf([profileKey(from)]);
    if (suppression) {
      this.deps.suppressions.addPersonKeys(suppression, [profileKey(restored)]);
      shared.push(this.publish({ kind: 'suppression_extended', suppressionId: suppression, keys: [profileKey(restored)] }));
    }
    await Promise.all(shared);
  }

  /**
   * Whether a person known by these keys may now receive deliveries on this connection: not suppressed, and their
   * consent allows it (the same verdict as the routing decision's).
   */
  mayReceive(connection: PrivacyConnection, identityKeys: readonly string[]): boolean {
    const keys = [...identityKeys];
    if (this.deps.suppressions.isSuppressed(keys)) return false;
    return this.verdict(connection, this.deps.profiles.consentOf(keys)).allowed;
  }

  private tell(notify: (listener: PrivacyListener) => void): void {
    for (const listener of this.listeners) notify(listener);
  }

  /** The event's identity keys, or undefined (counted) when any of them is suppressed. */
  private keysUnlessSuppressed(event: CanonicalEvent): string[] | undefined {
    const keys = eventIdentityKeys(event);
    if (!this.deps.suppressions.isSuppressed(keys)) return keys;
    this.deps.audit.record('suppressed', { sourceId: event.sourceId });
    return undefined;
  }

  /** The connections among `connections` this user's consent allows; the others are counted as blocked. */
  allowedConnections<C extends PrivacyConnection>(
    event: CanonicalEvent,
    consent: UserConsent,
    connections: readonly C[],
    blocked?: Array<{ connection: string; reason: string }>,
  ): C[] {
    return connections.filter((connection) => {
      const verdict = this.verdict(connection, consent);
      if (!verdict.allowed) {
        this.deps.audit.record(`blocked:${verdict.reason}`, { sourceId: event.sourceId, connectionId: connection.id });
        blocked?.push({ connection: connection.id, reason: verdict.reason ?? 'consent' });
      }
      return verdict.allowed;
    });
  }

  /**
   * Records a revocation (suppression, consent withdrawal) of these identity keys, or of everyone (a privacy
   * config change). Resolves once no request decided before it can still be leaving a worker.
   */
  revoke(identityKeys?: readonly string[]): Promise<void> {
    return this.deps.board.revoke(identityKeys);
  }

  /** Called when a subject is erased: deliveries of theirs decided until now are never sent. */
  async noteErasure(identityKeys: string[]): Promise<void> {
    await Promise.all([this.markErased(identityKeys), this.publish({ kind: 'erased', keys: identityKeys })]);
  }

  private markErased(identityKeys: string[]): Promise<void> {
    const now = Date.now();
    // A leased delivery waits in memory for at most a few task timeouts, so a day-old mark can go.
    for (const [key, mark] of this.erasedAt) if (mark.at < now - ERASURE_MARK_TTL_MS) this.erasedAt.delete(key);
    const revoked = this.revoke(identityKeys);
    for (const key of identityKeys) this.erasedAt.set(key, { version: this.version, at: now });
    this.tell((listener) => listener.erased?.(identityKeys));
    return revoked;
  }

  /**
   * Resolves once every task this gate has let through so far is over. A worker's task cannot be recalled,
   * so an erasure waits here before forwarding the deletion: the destination then hears of it last.
   */
  async deliveriesInFlight(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  readonly deliveryGate: DeliveryGate = async (connectionId, items, finished) => {
    const decision = this.decide(connectionId, items);
    if (decision.verdicts.some((v) => v.deliver)) {
      this.inFlight.add(finished);
      void finished.finally(() => this.inFlight.delete(finished));
    }
    return decision;
  };

  private decide(connectionId: string, items: QueuedDelivery[]): GateDecision {
    // Read before any check: a revocation that lands after this point is caught again in the worker.
    const checkpoint = this.checkpoint;
    const version = this.deps.runBase + checkpoint;
    const connection = this.deps.connections().find((c) => c.id === connectionId);
    const verdicts = items.map((item) => {
      if (item.privacyVersion >= version) return { deliver: true };
      const event = JSON.parse(item.body) as CanonicalEvent;
      // An audience removal is a deletion (the routing decision lets it past the gate): a revocation only hastens it.
      if (event.type === 'audience' && event.audience?.action === 'remove') return { deliver: true };
      if (isRequestedMessage(event)) return { deliver: true };
      const keys = eventIdentityKeys(event);
      if (keys.some((key) => item.privacyVersion < (this.erasedAt.get(key)?.version ?? -Infinity))) return { deliver: false, reason: 'erased' };
      if (this.deps.suppressions.isSuppressed(keys)) {
        this.deps.audit.record('suppressed', { sourceId: event.sourceId, connectionId });
        return { deliver: false, reason: 'suppressed' };
      }
      if (!connection) return { deliver: false, reason: 'connection_removed' };
      const verdict = this.verdict(connection, this.deps.profiles.consentOf(keys));
      if (!verdict.allowed) {
        this.deps.audit.record(`blocked:${verdict.reason}`, { sourceId: event.sourceId, connectionId });
        return { deliver: false, reason: verdict.reason };
      }
      return { deliver: true };
    });
    return { verdicts, checkpoint };
  }

  private verdict(connection: PrivacyConnection, consent: UserConsent): ConsentVerdict {
    const saleOrShare = connection.consent?.saleOrShare ?? connection.connector.category === 'advertising';
    return evaluateConsent(consent, connection.consent, saleOrShare, this.deps.config());
  }
}
