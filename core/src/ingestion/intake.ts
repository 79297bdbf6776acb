import type { CanonicalEvent } from '@switchyard/sdk-kit';
import type { ResolvedConfig, ResolvedConnection, ResolvedSource } from '../config/resolve-config.js';
import type { DataPlan } from '../data-plans/data-plan.js';
import type { DeliveryRuntime } from '../delivery/delivery-runtime.js';
import type { EnrichmentStage } from '../enrichment/enrichment-stage.js';
import type { IpGeo } from '../enrichment/ip-geo.js';
import { enrichLocation } from '../enrichment/location-enrichment.js';
import type { Logger } from '../logging.js';
import { stripIp } from '../privacy/coppa.js';
import type { PrivacyAudit } from '../privacy/privacy-audit.js';
import type { UserConsent } from '../privacy/consent.js';
import type { PrivacyGate } from '../privacy/privacy-gate.js';
import { acceptedEvent } from '../queue/accepted-event.js';
import type { AcceptedEvent } from '../queue/delivery-queue.js';
import { DedupeWindow } from './dedupe-window.js';
import { connectionsFor } from './fan-out.js';
import { IntakeStats } from './intake-stats.js';

export interface IntakeDeps {
  runtime: Pick<DeliveryRuntime, 'accept'>;
  gate: PrivacyGate;
  enrichment: Pick<EnrichmentStage, 'enrich'>;
  audit: Pick<PrivacyAudit, 'record'>;
  log: Logger;
}

/** What the intake currently routes by; replaced as a whole on a config reload. */
export interface IntakeRouting {
  sources: Map<string, ResolvedSource>;
  connections: ResolvedConnection[];
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
 * The data path from parsed events to the durable queue: COPPA IP removal → de-duplication → data plan
 * → privacy gate (suppression, consent) → enrichment → fan-out → queue. It resolves only once the
 * events are durably queued, so an acknowledgement always means "stored".
 */
export class EventIntake {
  readonly stats = new IntakeStats();
  private readonly dedupe: DedupeWindow;

  constructor(private readonly deps: IntakeDeps, private routing: IntakeRouting, dedupe: ResolvedConfig['ingestion']) {
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
    const admitted: Array<{ event: CanonicalEvent; consent: UserConsent }> = [];

    for (const original of fresh) {
      if (!source.ipCollection && stripIp(original)) this.deps.audit.record('ip_stripped', { sourceId: source.id });
      const planned = this.applyDataPlan(source, original, routing, queued);
      if (!planned) { result.blockedByPlan += 1; continue; }
      const admission = this.deps.gate.admit(planned);
      if (!admission.admitted) { result.suppressed += 1; continue; }
      admitted.push({ event: planned, consent: admission.consent });
    }
    const toEnrich = admitted.map(({ event }) => event);

    if (routing.location.enabled) {
      for (const event of toEnrich) {
        enrichLocation(event, { ipEnrichment: source.ipCollection, ipGeo: routing.location.ipGeo });
      }
    }
    await this.deps.enrichment.enrich(toEnrich);

    for (const { event, consent } of admitted) {
      const wanted = connectionsFor(event, routing.connections);
      const allowed = wanted.length ? this.deps.gate.allowedConnections(event, consent, wanted) : [];
      if (allowed.length === 0) { result.unrouted += 1; continue; }
      queued.push(acceptedEvent(event, allowed));
      result.accepted += 1;
    }
    await this.deps.runtime.accept(queued);
    this.dedupe.remember(source.id, fresh.map((e) => e.messageId));
    for (const [what, count] of Object.entries(result)) this.stats.add(source.id, what, count);
    this.stats.add(source.id, 'received', events.length);
    return result;
  }

  private dropDuplicates(sourceId: string, events: CanonicalEvent[], result: IntakeResult): CanonicalEvent[] {
    const inBatch = new Set<string>();
    return events.filter((event) => {
      if (inBatch.has(event.messageId) || this.dedupe.has(sourceId, event.messageId)) {
        result.duplicates += 1;
        return false;
      }
      inBatch.add(event.messageId);
      return true;
    });
  }

  /** Returns the event to route (possibly with blocked attributes removed), or undefined if the plan blocks it. */
  private applyDataPlan(source: ResolvedSource, event: CanonicalEvent, routing: IntakeRouting, queued: AcceptedEvent[]): CanonicalEvent | undefined {
    const planId = event.context.dataPlan?.planId && routing.dataPlans.has(event.context.dataPlan.planId) ? event.context.dataPlan.planId : source.dataPlan;
    const plan = planId ? routing.dataPlans.get(planId) : undefined;
    if (!plan) return event;
    const verdict = plan.evaluate(event);
    for (const violation of verdict.violations) this.stats.add(source.id, `plan:${plan.id}:${violation.kind}`);
    const blockedSomething = verdict.blocked.event || Object.keys(verdict.blocked.attributes).length > 0;
    if (blockedSomething && plan.quarantine) {
      const quarantined = structuredClone(event);
      quarantined.context.quarantine = { planId: plan.id, blockedEvent: verdict.blocked.event, blockedAttributes: verdict.blocked.attributes, violations: verdict.violations };
      queued.push(acceptedEvent(quarantined, [plan.quarantine]));
    }
    if (verdict.violations.length) this.deps.log.debug({ source: source.id, plan: plan.id, violations: verdict.violations }, 'data plan violations');
    return verdict.event;
  }
}
