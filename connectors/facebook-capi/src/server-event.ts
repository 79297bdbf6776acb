import type { CanonicalEvent } from '@switchyard/sdk-kit';
import { CONVERSIONS_USER_DATA, hashFields } from '@switchyard/sdk-kit';

/** The mapped payload of one event (see `fields` in index.ts). */
export interface ConversionPayload {
  event_name: string;
  event_time: string | number;
  event_id: string;
  action_source?: string;
  event_source_url?: string;
  opt_out?: boolean;
  user_data: Record<string, unknown>;
  custom_data?: Record<string, unknown>;
}

/** Segment e-commerce and lifecycle names → Meta standard events; other names are sent as custom events. */
export const STANDARD_EVENTS: Record<string, string> = {
  'Order Completed': 'Purchase',
  'Product Added': 'AddToCart',
  'Product Added to Wishlist': 'AddToWishlist',
  'Checkout Started': 'InitiateCheckout',
  'Payment Info Entered': 'AddPaymentInfo',
  'Product Viewed': 'ViewContent',
  'Products Searched': 'Search',
  'Signed Up': 'CompleteRegistration',
  'Subscription Created': 'Subscribe',
  'Trial Started': 'StartTrial',
  'Lead Generated': 'Lead',
};

/** Unix seconds from an ISO timestamp or a number (seconds, or milliseconds when it is that large). */
export function toUnixSeconds(value: string | number): number {
  if (typeof value === 'number') return Math.floor(value > 1e11 ? value / 1000 : value);
  const millis = Date.parse(value);
  if (Number.isNaN(millis)) throw new TypeError(`event_time "${value}" is not an ISO-8601 timestamp or unix time`);
  return Math.floor(millis / 1000);
}

const isEmpty = (v: unknown) =>
  v === undefined ||
  v === null ||
  v === '' ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0);

function compact(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => !isEmpty(v)));
}

/** True when the event's consent says the user opted out of the sale of their data (CCPA). */
export function optedOutOfSale(event: CanonicalEvent): boolean {
  return event.context?.consent?.ccpa?.dataSaleOptOut === true;
}

/** One entry of the Conversions API `data` array, user data hashed by Meta's rules. */
export function toServerEvent(
  payload: ConversionPayload,
  event: CanonicalEvent,
  defaultActionSource: string,
  eventNames: Record<string, string> = {},
): Record<string, unknown> {
  const serverEvent: Record<string, unknown> = {
    event_name: eventNames[payload.event_name] ?? STANDARD_EVENTS[payload.event_name] ?? payload.event_name,
    event_time: toUnixSeconds(payload.event_time),
    event_id: payload.event_id,
    action_source: payload.action_source ?? defaultActionSource,
    event_source_url: payload.event_source_url,
    opt_out: payload.opt_out,
    user_data: hashFields(payload.user_data, CONVERSIONS_USER_DATA),
    custom_data: payload.custom_data ? compact(payload.custom_data) : undefined,
  };
  if (optedOutOfSale(event)) {
    // Country and state 0 ask Meta to geolocate the event to decide where Limited Data Use applies.
    serverEvent.data_processing_options = ['LDU'];
    serverEvent.data_processing_options_country = 0;
    serverEvent.data_processing_options_state = 0;
  }
  return compact(serverEvent);
}
