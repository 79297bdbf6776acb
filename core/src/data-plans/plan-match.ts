import type { CanonicalEvent } from '@switchyard/sdk-kit';

/** A data point's `match`: the mParticle event type and the criteria that identify the event. */
export interface PlanMatch {
  type: string;
  criteria?: Record<string, unknown>;
}

/** How a canonical event is identified in an mParticle data plan; undefined for events plans don't cover. */
export function matchOf(event: CanonicalEvent): PlanMatch | undefined {
  switch (event.type) {
    case 'track': {
      const raw = event.raw as { data?: { custom_event_type?: string } } | undefined;
      const customType = raw?.data?.custom_event_type;
      return { type: 'custom_event', criteria: { event_name: event.event ?? '', ...(customType ? { custom_event_type: customType } : {}) } };
    }
    case 'screen':
    case 'page':
      return { type: 'screen_view', criteria: { screen_name: event.event ?? '' } };
    case 'commerce':
      return { type: 'commerce_event', criteria: { action: event.event ?? '' } };
    default:
      return undefined;
  }
}
