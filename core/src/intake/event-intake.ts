import type { CanonicalEvent } from '@switchyard/sdk-kit';
import type { ResolvedSource } from '../config/resolved-source.js';
import type { DataPlan } from '../data-plans/data-plan.js';
import type { EnrichmentStage } from '../enrichment/enrichment-stage.js';
import type { IpGeo } from '../enrichment/ip-geo.js';
import { enrichLocation } from '../enrichment/location-enrichment.js';
import type { Logger } from '../logging.js';
import { stripIp } from '../privacy/coppa.js';
import type { PrivacyAudit } from '../privacy/privacy-audit.js';
import type { PrivacyGate, PrivacyStanding } from '../privacy/privacy-gate.js';
import type { IdentityGraph } from '../identity/identity-graph.js';
import { profileKey } from '../vocabulary/identity-types.js';
import type { ProfileStore } from '../profiles/profile-store.js';
import type { AcceptedEvent, AcceptedEventsObserver, EventTracer } from '../types.js';
import type { EventRouting, RoutableConnection } from '../routing/event-routing.js';
import { DedupeWindow } from './dedupe-window.js';
import { IntakeStats } from './intake-stats.js';

export interface IntakeDeps {
  routing: Pick<EventRouting, 'decide' | 'queue'>;
  identity: Pick<IdentityGraph, 'resolveEvents'>;
  gate: Pick<PrivacyGate, 'admit' | 'prepare' | 'checkpoint'>;
  profiles: Pick<ProfileStore, 'recordTraits'>;
  enrichment: Pick<EnrichmentStage, 'enrich'>;
  audit: Pick<PrivacyAudit, 'record'>;
  log: Logger;
  tracer?: EventTracer;
  /** Told of the accepted events once they are durable (audiences). */
  observer?: AcceptedEventsObserver;
}

/** What the intake currently routes by; replaced as a whole on a config reload. */
export interface IntakeRouting {
  sources: Map<string, ResolvedSource>;
  /** Connections of the regular fan-out (quarantine connections excluded). */
  connections: RoutableConnection[];
  /** Every connection by id, for quarantine copies. */
  connectionsById: Map<string, RoutableConnection>;
  dataPlans: Map<string, DataPlan>;
  location: { enabled: boolean; ipGeo?: IpGeo };
}

export interface IntakeResult {
  accepted: number;
  duplicates: number;
  suppressed: number;
  blockedByPlan: number;
  unrouted: number;
}

/**
 * The data path from parsed events to the durable queue: COPPA IP removal → de-duplication → identity
 * resolution (each event gets its person's profileId) → privacy gate (suppression, consent, on the whole person)
 * → data plan → enrichment → routing decision → queue. It resolves only once the
 * events are durably queued (and any consent withdrawal they carried is in force), so an acknowledgement
 * always means "stored".
 */
export class EventIntake {
  readonly stats = new IntakeStats();
  private readonly dedupe: DedupeWindow;

  constructor(
    private readonly deps: IntakeDeps,
    private routing: IntakeRouting,
    dedupe: { dedupeWindowMs: number; dedupeCapacity: number },
  ) {
    this.dedupe = new DedupeWindow(dedupe.dedupeWindowMs, dedupe.dedupeCapacity);
  }

  updateRouting(routing: IntakeRouting): void {
    this.routing = routing;
  }

  source(id: string): ResolvedSource | undefined {
    return this.routing.sources.get(id);
  }

  async accept(source: ResolvedSource, events: CanonicalEvent[]): Promise<IntakeResult> {
    const result: IntakeResult = { accepted: 0, duplicates: 0, suppressed: 0, blockedByPlan: 0, unrouted: 0 };
    const routing = this.routing;
    const fresh = this.dropDuplicates(source.id, events, result);
    const queued: AcceptedEvent[] = [];
    const admitted: Array<{ event: CanonicalEvent; standing: PrivacyStanding }> = [];
    const revocations: Promise<void>[] = [];

    for (const event of fresh) if (!source.ipCollection && stripIp(event)) this.deps.audit.record('ip_stripped', { sourceId: source.id });
    // Suppressed people's events are resolved too (and dropped at admission): a new identifier that arrives beside
    // one of theirs joins them, so the suppression covers it when it comes alone.
    await this.deps.identity.resolveEvents(fresh);
    this.deps.gate.prepare(fresh);
    // Read before admission: a revocation after it stops the enrichment lookups of the people it covers.
    const checkpoint = this.deps.gate.checkpoint;

    for (const original of fresh) {
      // Admission before the data plan: a suppressed user's events reach no connection, quarantine included,
      // and consent an unplanned event carries is still the user's.
      const admission = this.deps.gate.admit(original);
      if (!admission.admitted) {
        this.deps.tracer?.dropped(original, 'suppressed');
        result.suppressed += 1;
        continue;
      }
      if (admission.revocation) revocations.push(admission.revocation);
      if (original.profileId !== undefined && Object.keys(original.traits).length > 0) {
        this.deps.profiles.recordTraits(profileKey(original.profileId), original.traits, Date.parse(original.timestamp) || Date.now());
      }
      const planned = this.applyDataPlan(source, original, routing, admission, queued);
      if (!planned) {
        this.deps.tracer?.dropped(original, 'blocked_by_data_plan');
        result.blockedByPlan += 1;
        continue;
      }
      admitted.push({ event: planned, standing: admission });
    }
    const toEnrich = admitted.map(({ event }) => event);

    if (routing.location.enabled) {
      for (const event of toEnrich) {
        enrichLocation(event, { ipEnrichment: source.ipCollection, ipGeo: routing.location.ipGeo });
      }
    }
    await this.deps.enrichment.enrich(toEnrich, checkpoint);

    for (const { event, standing } of admitted) {
      const decided = this.deps.routing.decide(event, routing.connections, standing);
      if (!decided.length) {
        result.unrouted += 1;
        continue;
      }
      queued.push(...decided);
      result.accepted += 1;
    }
    await this.deps.routing.queue(queued);
    await Promise.all(revocations);
    this.observe(toEnrich);
    this.dedupe.remember(
      source.id,
      fresh.map((e) => e.messageId),
    );
    for (const [what, count] of Object.entries(result)) this.stats.add(source.id, what, count);
    this.stats.add(source.id, 'received', events.length);
    return result;
  }

  private observe(events: CanonicalEvent[]): void {
    if (!this.deps.observer || events.length === 0) return;
    try {
      this.deps.observer.accepted(events);
    } catch (error) {
      // The events are stored and acknowledged whatever an observer does.
      this.deps.log.error({ err: error }, 'an observer of accepted events failed');
    }
  }

  private dropDuplicates(sourceId: string, events: CanonicalEvent[], result: IntakeResult): CanonicalEvent[] {
    const inBatch = new Set<string>();
    return events.filter((event) => {
      if (inBatch.has(event.messageId) || this.dedupe.has(sourceId, event.messageId)) {
        this.deps.tracer?.dropped(event, 'duplicate');
        result.duplicates += 1;
        return false;
      }
      inBatch.add(event.messageId);
      return true;
    });
  }

  /** Returns the event to route (possibly with blocked attributes removed), or undefined if the plan blocks it. */
  private applyDataPlan(
    source: ResolvedSource,
    event: CanonicalEvent,
    routing: IntakeRouting,
    standing: PrivacyStanding,
    queued: AcceptedEvent[],
  ): CanonicalEvent | undefined {
    const planId = event.context.dataPlan?.planId && routing.dataPlans.has(event.context.dataPlan.planId) ? event.context.dataPlan.planId : source.dataPlan;
    const plan = planId ? routing.dataPlans.get(planId) : undefined;
    if (!plan) return event;
    const verdict = plan.evaluate(event);
    for (const violation of verdict.violations) this.stats.add(source.id, `plan:${plan.id}:${violation.kind}`);
    const blockedSomething = verdict.blocked.event || Object.keys(verdict.blocked.attributes).length > 0;
    if (blockedSomething && plan.quarantine) {
      const quarantined = structuredClone(event);
      quarantined.context.quarantine = {
        planId: plan.id,
        blockedEvent: verdict.blocked.event,
        blockedAttributes: verdict.blocked.attributes,
        violations: verdict.violations,
      };
      const quarantine = routing.connectionsById.get(plan.quarantine);
      if (quarantine) queued.push(...this.deps.routing.decide(quarantined, [quarantine], standing, { anySource: true, ignoreIntegrations: true }));
    }
    if (verdict.violations.length) this.deps.log.debug({ source: source.id, plan: plan.id, violations: verdict.violations }, 'data plan violations');
    return verdict.event;
  }
}
