import { Type } from '@sinclair/typebox';
import { closed, Id, NonEmptyString, PositiveInt } from './common.js';

/** A site's origin (`https://shop.example`, no path). */
const ORIGIN = Type.String({ pattern: '^https?://[^/?#\\s]+$' });

/** `privacyPages.consent`: the banner a site adds with `<script src="https://router/consent.js">`. */
export const CONSENT_BANNER_SCHEMA = Type.Object(
  {
    /** Sites that may show the banner and record a visitor's choice (the router refuses every other origin). */
    allowedOrigins: Type.Array(ORIGIN, { minItems: 1 }),
    title: Type.Optional(NonEmptyString),
    text: Type.Optional(NonEmptyString),
    /** Linked from the banner as "Privacy policy". */
    policyUrl: Type.Optional(Type.String({ format: 'uri', pattern: '^https?://' })),
  },
  closed,
);

/** `privacyPages.requests`: the data-subject request page at `/privacy/request`. */
export const REQUEST_PAGE_SCHEMA = Type.Object(
  {
    /** The connection that sends the one-time verification link (a track event "Privacy Request Verification"). */
    emailConnection: Id,
    /** Named on the pages and in the mail (default "this site"). */
    siteName: Type.Optional(NonEmptyString),
    /** How long a verification link works (default 60 minutes); it works once. */
    linkTtlMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 7 * 24 * 60 })),
    /** Requests per client address and per email address in one window (default 5). */
    requestsPerWindow: Type.Optional(PositiveInt),
    /** The window of requestsPerWindow (default 900 s). */
    windowSeconds: Type.Optional(PositiveInt),
  },
  closed,
);

/** The `privacyPages` section: what end users see, served by the router itself (no CDN). */
export const PRIVACY_PAGES_SCHEMA = Type.Object(
  {
    consent: Type.Optional(CONSENT_BANNER_SCHEMA),
    requests: Type.Optional(REQUEST_PAGE_SCHEMA),
  },
  closed,
);
