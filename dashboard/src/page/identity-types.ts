/**
 * Suggestions for identity type inputs. The router's vocabulary (core/src/vocabulary/identity-types.ts) is the
 * authority: it refuses a type outside it and its error lists every accepted name.
 */
export const IDENTITY_TYPE_HINTS = [
  'user_id',
  'email',
  'phone',
  'anonymous_id',
  'customer_id',
  'mpid',
  'advertising_id',
  'ios_idfa',
  'android_aaid',
  'device_id',
];
