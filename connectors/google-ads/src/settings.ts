import { Type, type Static } from '@switchyard/sdk-kit';

const customerIdPattern = '^[0-9]{3}-?[0-9]{3}-?[0-9]{4}$';
const consent = (what: string) =>
  Type.Optional(
    Type.Union([Type.Literal('GRANTED'), Type.Literal('DENIED')], {
      description: `Customer Match consent for ${what} sent with each job (required for users in the EEA).`,
    }),
  );

export const settings = Type.Object(
  {
    customerId: Type.String({ pattern: customerIdPattern, description: 'The Google Ads account (123-456-7890) that owns the list and conversions.' }),
    loginCustomerId: Type.Optional(Type.String({ pattern: customerIdPattern, description: 'Manager account id, when access is through a manager.' })),
    developerToken: Type.String({ secret: true, minLength: 10, description: 'Google Ads API developer token.' }),
    clientId: Type.String({ minLength: 5, description: 'OAuth2 client id.' }),
    clientSecret: Type.String({ secret: true, minLength: 5, description: 'OAuth2 client secret.' }),
    refreshToken: Type.String({ secret: true, minLength: 10, description: 'OAuth2 refresh token of a user with access to the account.' }),
    apiVersion: Type.String({ pattern: '^v[0-9]+$', default: 'v25', description: 'Google Ads API version, e.g. v25.' }),
    userListId: Type.Optional(Type.String({ pattern: '^[0-9]+$', description: 'Customer Match user list id; Customer Match is off when unset.' })),
    audienceKey: Type.Optional(Type.String({ minLength: 1, description: 'Only membership events whose properties.audience_key equals this.' })),
    adUserDataConsent: consent('ad user data'),
    adPersonalizationConsent: consent('ad personalization'),
    conversionActionId: Type.Optional(
      Type.String({ pattern: '^[0-9]+$', description: 'Conversion action to enhance; enhanced conversions are off when unset.' }),
    ),
    conversionEvents: Type.Array(Type.String({ minLength: 1 }), {
      default: ['Order Completed'],
      description: 'Track event names that are conversions to enhance.',
    }),
  },
  { additionalProperties: false },
);

export type GoogleAdsSettings = Static<typeof settings>;
