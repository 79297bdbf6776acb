import type { CanonicalEvent } from '@switchyard/sdk-kit';
import { CONVERSIONS_USER_DATA, hashFields } from '@switchyard/sdk-kit';

export interface SnapPayload {
  event_name: string;
  event_time: string | number;
  event_id: string;
  event_source_url?: string;
  user_data: Record<string, unknown>;
  custom_data?: Record<string, unknown>;
}

/** Segment names → Snap standard events. Snap accepts only its own names (and CUSTOM_EVENT_1…5). */
export const STANDARD_EVENTS: Record<string, string> = {
  'Order Completed': 'PURCHASE',
  'Product Added': 'ADD_CART',
  'Product Added to Wishlist': 'ADD_TO_WISHLIST',
  'Checkout Started': 'START_CHECKOUT',
  'Payment Info Entered': 'ADD_BILLING',
  'Product Viewed': 'VIEW_CONTENT',
  'Product List Viewed': 'LIST_VIEW',
  'Products Searched': 'SEARCH',
  'Signed Up': 'SIGN_UP',
  'Signed In': 'LOGIN',
  'Subscription Created': 'SUBSCRIBE',
  'Trial Started': 'START_TRIAL',
  'Page Viewed': 'PAGE_VIEW',
};

/** The Snap event name for a mapped name, or undefined when neither the settings nor the standard map know it. */
export function snapEventName(name: string, eventNames: Record<string, string>): string | undefined {
  if (eventNames[name]) return eventNames[name];
  if (STANDARD_EVENTS[name]) return STANDARD_EVENTS[name];
  return /^[A-Z_0-9]+$/.test(name) ? name : undefined;
}

function unixSeconds(value: string | number): number {
  if (typeof value === 'number') return Math.floor(value > 1e11 ? value / 1000 : value);
  const millis = Date.parse(value);
  if (Number.isNaN(millis)) throw new TypeError(`event_time "${value}" is not an ISO-8601 timestamp`);
  return Math.floor(millis / 1000);
}

const isEmpty = (v: unknown) =>
  v === undefined ||
  v === null ||
  v === '' ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0);
const compact = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => !isEmpty(v)));

// Snap takes email and phone as lists of hashes.
const LIST_KEYS = ['em', 'ph'];

/** One entry of the v3 `data` array: action_source WEB, user data hashed, CCPA opt-out as Limited Data Use. */
export function toSnapEvent(payload: SnapPayload, event: CanonicalEvent, eventName: string): Record<string, unknown> {
  const userData = hashFields(payload.user_data, CONVERSIONS_USER_DATA);
  for (const key of LIST_KEYS) if (typeof userData[key] === 'string') userData[key] = [userData[key]];
  const snapEvent: Record<string, unknown> = {
    event_name: eventName,
    event_time: unixSeconds(payload.event_time),
    event_id: payload.event_id,
    action_source: 'WEB',
    event_source_url: payload.event_source_url,
    user_data: userData,
    custom_data: payload.custom_data ? compact(payload.custom_data) : undefined,
  };
  if (event.context?.consent?.ccpa?.dataSaleOptOut === true) {
    snapEvent.data_processing_options = ['LDU'];
    snapEvent.data_processing_options_country = 0;
    snapEvent.data_processing_options_state = 0;
  }
  return compact(snapEvent);
}
