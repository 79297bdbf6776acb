/**
 * The Measurement Protocol answers 2xx to every request and silently drops what breaks its rules, so the rules are
 * applied here: https://developers.google.com/analytics/devguides/collection/protocol/ga4/reference#reserved_names
 */
export const MAX_EVENTS_PER_REQUEST = 25;
const MAX_PARAMS = 25;
const MAX_PARAM_VALUE = 100;
const MAX_USER_PROPERTIES = 25;
const MAX_USER_PROPERTY_NAME = 24;
const MAX_USER_PROPERTY_VALUE = 36;
/** GA processes Measurement Protocol events up to 72 hours old. */
export const MAX_AGE_MS = 72 * 3600 * 1000;

const NAME = /^[A-Za-z][A-Za-z0-9_]{0,39}$/;
const RESERVED_PREFIXES = ['_', 'firebase_', 'ga_', 'google_', 'gtag.'];
// prettier-ignore
export const RESERVED_EVENT_NAMES = new Set([
  'ad_activeview', 'ad_click', 'ad_exposure', 'ad_query', 'ad_reward', 'adunit_exposure', 'app_background', 'app_clear_data',
  'app_exception', 'app_remove', 'app_store_refund', 'app_store_subscription_cancel', 'app_store_subscription_convert',
  'app_store_subscription_renew', 'app_update', 'app_upgrade', 'dynamic_link_app_open', 'dynamic_link_app_update',
  'dynamic_link_first_open', 'error', 'firebase_campaign', 'firebase_in_app_message_action', 'firebase_in_app_message_dismiss',
  'firebase_in_app_message_impression', 'first_open', 'first_visit', 'in_app_purchase', 'notification_dismiss',
  'notification_foreground', 'notification_open', 'notification_receive', 'os_update', 'session_start', 'session_start_with_rollout',
  'user_engagement',
]);
const RESERVED_USER_PROPERTIES = new Set(['first_open_time', 'first_visit_time', 'last_deep_link_referrer', 'user_id', 'first_open_after_install']);

/** The Segment e-commerce and lifecycle events that have GA4 recommended names. */
export const RECOMMENDED_NAMES: Record<string, string> = {
  'Order Completed': 'purchase',
  'Order Refunded': 'refund',
  'Product Added': 'add_to_cart',
  'Product Removed': 'remove_from_cart',
  'Product Viewed': 'view_item',
  'Product List Viewed': 'view_item_list',
  'Cart Viewed': 'view_cart',
  'Checkout Started': 'begin_checkout',
  'Payment Info Entered': 'add_payment_info',
  'Products Searched': 'search',
  'Signed Up': 'sign_up',
  'Signed In': 'login',
};

const isReservedName = (name: string) => RESERVED_PREFIXES.some((p) => name.startsWith(p));

/** A track event's GA4 name: configured, recommended, or snake_case (letters, digits, _; 40 at most). */
export function ga4EventName(event: string, configured: Record<string, string>): string {
  return (
    configured[event] ??
    RECOMMENDED_NAMES[event] ??
    event
      .trim()
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^[^a-z]+|_+$/g, '')
      .slice(0, 40)
  );
}

/** Why GA would drop an event of this name, if it would. */
export function eventNameProblem(name: string): string | undefined {
  if (!NAME.test(name)) return `event name "${name}" must be 1–40 letters, digits or _ starting with a letter`;
  if (RESERVED_EVENT_NAMES.has(name) || isReservedName(name)) return `event name "${name}" is reserved by Google Analytics`;
  return undefined;
}

/** Parameters GA keeps: valid names, no reserved prefixes, scalar values (strings cut to 100) or `items`, 25 at most. */
export function ga4Params(params: Record<string, unknown>): Record<string, unknown> {
  const kept: Array<[string, unknown]> = [];
  for (const [name, value] of Object.entries(params)) {
    if (kept.length >= MAX_PARAMS || !NAME.test(name) || isReservedName(name)) continue;
    if (typeof value === 'string') kept.push([name, value.slice(0, MAX_PARAM_VALUE)]);
    else if (typeof value === 'number' || typeof value === 'boolean') kept.push([name, value]);
    else if (name === 'items' && Array.isArray(value)) kept.push([name, value.slice(0, 200)]);
  }
  return Object.fromEntries(kept);
}

/** User properties as `{ name: { value } }`: names up to 24 characters, values up to 36, 25 at most. */
export function ga4UserProperties(properties: Record<string, unknown>): Record<string, { value: string | number }> {
  const kept = Object.entries(properties).filter(
    ([name, value]) =>
      name.length <= MAX_USER_PROPERTY_NAME &&
      NAME.test(name) &&
      !isReservedName(name) &&
      !RESERVED_USER_PROPERTIES.has(name) &&
      (typeof value === 'string' || typeof value === 'number'),
  );
  return Object.fromEntries(
    kept
      .slice(0, MAX_USER_PROPERTIES)
      .map(([name, value]) => [name, { value: typeof value === 'string' ? value.slice(0, MAX_USER_PROPERTY_VALUE) : (value as number) }]),
  );
}
