import {
  errorForHttpStatus,
  forgetOAuthAccessToken,
  normalizePhone,
  oauthAccessToken,
  PermanentError,
  sha256Identifier,
  Type,
  type AudienceSyncContext,
  type BatchResult,
} from '@switchyard/sdk-kit';

export const ADS_API = 'https://adsapi.snapchat.com/v1';
export const TOKEN_URL = 'https://accounts.snapchat.com/login/oauth2/access_token';

/** Identifiers per request (Snap's limit for adding users to a segment). */
export const MAX_SEGMENT_USERS = 100_000;

/** A Customer List segment matches on one identifier type: the Snap schema of each, and the identifiers that fill it. */
const IDENTIFIER_TYPES = {
  email: { schema: 'EMAIL_SHA256', identifiers: ['email'] },
  phone: { schema: 'PHONE_SHA256', identifiers: ['phone'] },
  mobile_ad_id: { schema: 'MOBILE_AD_ID_SHA256', identifiers: ['ios_idfa', 'android_aaid', 'advertising_id'] },
} as const;
type IdentifierType = keyof typeof IDENTIFIER_TYPES;

export const syncSettings = Type.Object(
  {
    segmentId: Type.String({ pattern: '^[0-9]+$', description: 'The Customer List segment this sync keeps.' }),
    identifier: Type.Union([Type.Literal('email'), Type.Literal('phone'), Type.Literal('mobile_ad_id')], {
      default: 'email',
      description: 'What the segment matches on; Snap takes one identifier type per segment.',
    }),
  },
  { additionalProperties: false },
);

export interface MarketingSettings {
  marketingClientId?: string;
  marketingClientSecret?: string;
  marketingRefreshToken?: string;
}
type Sync = { segmentId: string; identifier: IdentifierType };
type SyncContext = AudienceSyncContext<MarketingSettings, Sync>;

/** The identifiers a sync's segment accepts, in preference order. */
export const segmentIdentifiers = (_settings: MarketingSettings, sync: Sync): readonly string[] => IDENTIFIER_TYPES[sync.identifier].identifiers;

/** Snap's rules before SHA-256: emails and advertising ids lower-case (as they arrive); phones digits only, country code kept. */
function hashFor(type: IdentifierType, value: string): string {
  return sha256Identifier(type === 'phone' ? normalizePhone(value) : value);
}

interface HttpErrorShape {
  response?: { statusCode: number; headers: Record<string, string | string[] | undefined>; body?: unknown };
}

function marketingError(thrown: unknown): unknown {
  const response = (thrown as HttpErrorShape | null)?.response;
  if (!response) return thrown;
  let body: { request_status?: string; debug_message?: string; display_message?: string } = {};
  try {
    body = JSON.parse(String(response.body));
  } catch {
    /* not JSON */
  }
  const detail = `Snap Marketing API${body.debug_message ? `: ${body.debug_message}` : body.display_message ? `: ${body.display_message}` : ''}`;
  return errorForHttpStatus(response.statusCode, response.headers, detail) ?? thrown;
}

/**
 * Adds people to the sync's segment (POST /v1/segments/{id}/users) or removes them (DELETE on the same path), one
 * hashed identifier per person, with a Marketing API access token from the connection's refresh token.
 */
export async function syncSegmentUsers(ctx: SyncContext): Promise<BatchResult> {
  const { marketingClientId: clientId, marketingClientSecret: clientSecret, marketingRefreshToken: refreshToken } = ctx.settings;
  if (!clientId || !clientSecret || !refreshToken) {
    const missing = new PermanentError('audience syncs need the marketingClientId, marketingClientSecret and marketingRefreshToken settings', {
      code: 'AUDIENCES_NOT_CONFIGURED',
    }).toResult();
    return ctx.members.map(() => missing);
  }
  const { segmentId, identifier } = ctx.sync;
  const accepted = IDENTIFIER_TYPES[identifier];
  const data = ctx.members.map((m) => [
    hashFor(
      identifier,
      accepted.identifiers.map((t) => m.identifiers[t]).find((v) => v !== undefined)!,
    ),
  ]);
  const users = [{ ...(ctx.action === 'remove' ? { id: segmentId } : {}), schema: [accepted.schema], data }];
  const grant = { tokenUrl: TOKEN_URL, vendor: 'Snap', clientId, clientSecret, refreshToken };
  const send = async () =>
    ctx.http(`${ADS_API}/segments/${segmentId}/users`, {
      method: ctx.action === 'add' ? 'POST' : 'DELETE',
      json: { users },
      headers: { authorization: `Bearer ${await oauthAccessToken(ctx, grant)}` },
      signal: ctx.signal,
    });
  try {
    await send();
  } catch (error) {
    // An access token revoked or expired early: fetch a new one once before calling it an authentication failure.
    if ((error as HttpErrorShape).response?.statusCode !== 401) throw marketingError(error);
    forgetOAuthAccessToken(ctx, TOKEN_URL);
    try {
      await send();
    } catch (again) {
      throw marketingError(again);
    }
  }
  return [];
}
