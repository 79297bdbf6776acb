import { hashIdentifier, type CanonicalEvent } from '@switchyard/sdk-kit';

export interface TikTokPayload {
  event: string;
  event_time: string | number;
  event_id: string;
  user: {
    email?: string;
    phone?: string;
    external_id?: string;
    ip?: string;
    user_agent?: string;
    ttclid?: string;
    ttp?: string;
    locale?: string;
  };
  properties?: Record<string, unknown>;
  page?: { url?: string; referrer?: string };
}

/** Segment e-commerce names → TikTok standard events; other names are sent as they are (custom events). */
export const STANDARD_EVENTS: Record<string, string> = {
  'Order Completed': 'CompletePayment',
  'Product Added': 'AddToCart',
  'Product Added to Wishlist': 'AddToWishlist',
  'Checkout Started': 'InitiateCheckout',
  'Payment Info Entered': 'AddPaymentInfo',
  'Product Viewed': 'ViewContent',
  'Products Searched': 'Search',
  'Signed Up': 'CompleteRegistration',
  'Subscription Created': 'Subscribe',
  'Form Submitted': 'SubmitForm',
};

function unixSeconds(value: string | number): number {
  if (typeof value === 'number') return Math.floor(value > 1e11 ? value / 1000 : value);
  const millis = Date.parse(value);
  if (Number.isNaN(millis)) throw new TypeError(`event_time "${value}" is not an ISO-8601 timestamp`);
  return Math.floor(millis / 1000);
}

const compact = (o: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(o).filter(
      ([, v]) => v !== undefined && v !== null && v !== '' && !(typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0),
    ),
  );

/** One entry of the Events API 2.0 `data` array, identifiers hashed and CCPA opt-out sent as limited_data_use. */
export function toTikTokEvent(payload: TikTokPayload, event: CanonicalEvent, eventNames: Record<string, string>): Record<string, unknown> {
  const { email, phone, external_id: externalId, ...plain } = payload.user;
  return compact({
    event: eventNames[payload.event] ?? STANDARD_EVENTS[payload.event] ?? payload.event,
    event_time: unixSeconds(payload.event_time),
    event_id: payload.event_id,
    // TikTok's rules: email trimmed and lower-case, phone in E.164, external id trimmed.
    user: compact({ email: hashIdentifier(email, 'email'), phone: hashIdentifier(phone, 'e164'), external_id: hashIdentifier(externalId, 'trim'), ...plain }),
    properties: payload.properties ? compact(payload.properties) : undefined,
    page: payload.page ? compact(payload.page) : undefined,
    limited_data_use: event.context?.consent?.ccpa?.dataSaleOptOut === true ? true : undefined,
  });
}
