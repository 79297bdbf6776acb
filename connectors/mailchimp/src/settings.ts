import { Type, type Static } from '@switchyard/sdk-kit';

export const settings = Type.Object(
  {
    apiKey: Type.String({
      secret: true,
      pattern: '^[0-9a-f]{8,}-[a-z]{2,}[0-9]+$',
      description: 'Mailchimp API key; its suffix (…-us21) is the data centre called.',
    }),
    listId: Type.String({ minLength: 1, description: 'The audience (list) id members are kept in.' }),
    statusIfNew: Type.Union([Type.Literal('subscribed'), Type.Literal('pending'), Type.Literal('unsubscribed'), Type.Literal('transactional')], {
      default: 'subscribed',
      description: 'Status of members added by Switchyard; existing members keep theirs. pending sends a double opt-in email.',
    }),
    deleteMode: Type.Union([Type.Literal('permanent'), Type.Literal('archive')], {
      default: 'permanent',
      description: 'Erasure: permanent deletes the member for good (they cannot be re-imported); archive keeps the data.',
    }),
  },
  { additionalProperties: false },
);

export type MailchimpSettings = Static<typeof settings>;
