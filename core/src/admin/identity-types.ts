/** Identity types an operator can suppress or rectify by: user ids, emails and device ids. */
export const USER_IDENTITY_TYPES = ['user_id', 'anonymous_id', 'email', 'customer_id', 'mpid', 'phone'] as const;
export const DEVICE_IDENTITY_TYPES = [
  'ios_idfa', 'ios_idfv', 'android_uuid', 'android_aaid', 'google_advertising_id', 'push_token',
  'roku_advertising_id', 'roku_publisher_id', 'fire_advertising_id', 'microsoft_advertising_id',
  'microsoft_publisher_id', 'amp_id', 'device_id',
] as const;
export const IDENTITY_TYPES: readonly string[] = [...USER_IDENTITY_TYPES, ...DEVICE_IDENTITY_TYPES];
