import { randomUUID } from 'node:crypto';
import type { CanonicalEvent, ConsentState, EventContext } from '@switchyard/sdk-kit';
import { INPUT_LIMITS } from '../../http-input/input-limits.js';
import { jsonPath, type Problem } from '../../http-input/request-error.js';
import { clampedTimestamp, isPlainObject, optionalDate, optionalId, optionalObject, optionalString } from '../field-checks.js';

export const SEGMENT_TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;
export type SegmentType = (typeof SEGMENT_TYPES)[number];

export const SEGMENT_LIMITS = INPUT_LIMITS.segment;

/** Body fields that authenticate the request; they are the router's to read and never part of the event. */
const CREDENTIAL_FIELDS = ['writeKey'];

export interface SegmentRequestContext {
  sourceId: string;
  receivedAt: string;
  /** The client's address, used as `context.ip` when the message has none (as Segment does). */
  requestIp?: string;
  /** The User-Agent of a browser's request, used as `context.userAgent` when the message has none. */
  userAgent?: string;
  /** Size of the (decompressed) request body, when known. */
  requestBytes?: number;
  /** Batch-level `sentAt`, `context` and `integrations`, which apply to every message of the batch. */
  batch?: { sentAt?: string; context?: Record<string, unknown>; integrations?: Record<string, unknown> };
}

/**
 * Checks one Segment Tracking API message and maps it to a canonical event. Every problem is located
 * by its JSON path; the caller rejects the whole request if any message has one.
 */
export function parseSegmentMessage(
  message: unknown,
  routeType: SegmentType | undefined,
  path: string,
  request: SegmentRequestContext,
): { event?: CanonicalEvent; problems: Problem[] } {
  const problems: Problem[] = [];
  if (!isPlainObject(message)) return { problems: [{ path, message: 'must be a JSON object (a Segment message)' }] };
  // Paths are built on every field check, so the common case (an identifier key) stays a concatenation.
  const at = (key: string, ...more: Array<string | number>) => (more.length ? jsonPath(path, key, ...more) : `${path}.${key}`);

  // A message cannot be larger than the request that carried it: measure only when that could matter.
  if ((request.requestBytes ?? Number.POSITIVE_INFINITY) > SEGMENT_LIMITS.maxEventBytes) {
    const size = Buffer.byteLength(JSON.stringify(message));
    if (size > SEGMENT_LIMITS.maxEventBytes)
      problems.push({ path, message: `the message is ${Math.ceil(size / 1024)} KB; the limit is ${SEGMENT_LIMITS.maxEventBytes / 1024} KB per message` });
  }

  const type = routeType ?? (message.type as SegmentType);
  if (!routeType && !SEGMENT_TYPES.includes(type)) {
    problems.push({ path: at('type'), message: `must be one of ${SEGMENT_TYPES.join(', ')}, got ${JSON.stringify(message.type)}` });
  }
  const userId = optionalId(message.userId, at('userId'), problems);
  const anonymousId = optionalId(message.anonymousId, at('anonymousId'), problems);
  if (userId === undefined && anonymousId === undefined && !problems.some((p) => p.path === at('userId') || p.path === at('anonymousId'))) {
    problems.push({ path: at('userId'), message: 'every message needs a userId or an anonymousId' });
  }
  const eventName = optionalString(message.event, at('event'), problems);
  if (type === 'track' && !eventName?.trim()) problems.push({ path: at('event'), message: 'track messages need an event name' });
  const name = optionalString(message.name, at('name'), problems);
  const groupId = optionalId(message.groupId, at('groupId'), problems);
  if (type === 'group' && groupId === undefined) problems.push({ path: at('groupId'), message: 'group messages need a groupId' });
  const previousId = optionalId(message.previousId, at('previousId'), problems);
  if (type === 'alias' && previousId === undefined) problems.push({ path: at('previousId'), message: 'alias messages need a previousId' });
  const messageId = optionalId(message.messageId, at('messageId'), problems);
  const properties = optionalObject(message.properties, at('properties'), problems) ?? {};
  const traits = optionalObject(message.traits, at('traits'), problems);
  const context = optionalObject(message.context, at('context'), problems);
  const integrations = optionalObject(message.integrations, at('integrations'), problems);
  const timestamp = optionalDate(message.timestamp, at('timestamp'), problems);
  const originalTimestamp = optionalDate(message.originalTimestamp, at('originalTimestamp'), problems);
  const sentAt = optionalDate(message.sentAt, at('sentAt'), problems) ?? request.batch?.sentAt;
  const consent = optionalObject(
    (context?.consent as Record<string, unknown> | undefined)?.categoryPreferences,
    at('context', 'consent', 'categoryPreferences'),
    problems,
  );
  if (problems.length) return { problems };

  const mergedContext = { ...request.batch?.context, ...context } as Record<string, unknown>;
  const contextTraits = isPlainObject(mergedContext.traits) ? mergedContext.traits : {};
  // A group's traits are the group's; RudderStack's SDKs send an identify's traits in context.traits.
  const userTraits = type === 'group' ? (traits ?? {}) : { ...contextTraits, ...traits };
  const email = [traits?.email, contextTraits.email].find((v): v is string => typeof v === 'string' && v.includes('@'));
  const phone = [traits?.phone, contextTraits.phone].find((v): v is string => typeof v === 'string' && /\d/.test(v));
  const device = isPlainObject(mergedContext.device) ? mergedContext.device : {};

  const event: CanonicalEvent = {
    messageId: messageId ?? randomUUID(),
    type,
    ...(type === 'track' ? { event: eventName } : {}),
    ...((type === 'page' || type === 'screen') && name !== undefined ? { event: name } : {}),
    ...(userId !== undefined ? { userId } : {}),
    ...(anonymousId !== undefined ? { anonymousId } : {}),
    identities: compact({
      user_id: userId,
      anonymous_id: anonymousId,
      email,
      phone,
      [advertisingIdType(device.type)]: typeof device.advertisingId === 'string' ? device.advertisingId : undefined,
      device_id: typeof device.id === 'string' ? device.id : undefined,
    }),
    traits: userTraits,
    properties: (type === 'page' || type === 'screen') && name !== undefined && properties.name === undefined ? { name, ...properties } : properties,
    context: canonicalContext(mergedContext, request, consent),
    timestamp: correctedTimestamp(originalTimestamp ?? timestamp, sentAt, request.receivedAt),
    ...(sentAt ? { sentAt } : {}),
    receivedAt: request.receivedAt,
    ...((originalTimestamp ?? timestamp) ? { originalTimestamp: originalTimestamp ?? timestamp } : {}),
    sourceId: request.sourceId,
    raw: withoutCredentials(message),
    ...(groupId !== undefined ? { groupId } : {}),
    ...(previousId !== undefined ? { previousId } : {}),
    ...((integrations ?? request.batch?.integrations) ? { integrations: { ...request.batch?.integrations, ...integrations } } : {}),
  };
  return { event, problems };
}

function canonicalContext(context: Record<string, unknown>, request: SegmentRequestContext, categories: Record<string, unknown> | undefined): EventContext {
  const { requestIp, userAgent } = request;
  const { traits: _traits, consent: rawConsent, ...rest } = context;
  const consent: ConsentState | undefined = categories
    ? { categories: Object.fromEntries(Object.entries(categories).map(([k, v]) => [k, v === true])) }
    : undefined;
  return {
    ...rest,
    ...(typeof context.ip === 'string' ? {} : requestIp ? { ip: requestIp } : {}),
    ...(typeof context.userAgent === 'string' || !userAgent ? {} : { userAgent }),
    ...(consent ? { consent } : isPlainObject(rawConsent) ? { consentRaw: rawConsent } : {}),
  } as EventContext;
}

/**
 * Segment's clock-skew correction (docs "Spec: Common fields", Timestamps): `timestamp` = `receivedAt` −
 * (`sentAt` − `originalTimestamp`), where `originalTimestamp` is the device's time of the call, or the `timestamp`
 * the client passed in. Without `sentAt` the device's time is kept as sent; without either, the time of receipt.
 * The result is kept within the accepted timestamp range however far off the device's clock is.
 */
function correctedTimestamp(originalTimestamp: string | undefined, sentAt: string | undefined, receivedAt: string): string {
  if (!originalTimestamp) return receivedAt;
  if (!sentAt) return originalTimestamp;
  const skew = Date.parse(receivedAt) - Date.parse(sentAt);
  return clampedTimestamp(Date.parse(originalTimestamp) + skew);
}

function withoutCredentials(message: Record<string, unknown>): Record<string, unknown> {
  if (!CREDENTIAL_FIELDS.some((field) => Object.hasOwn(message, field))) return message;
  const raw = { ...message };
  for (const field of CREDENTIAL_FIELDS) delete raw[field];
  return raw;
}

function compact(record: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''));
}

/** Segment's `context.device.advertisingId` is the IDFA on iOS and the AAID on Android. */
function advertisingIdType(deviceType: unknown): 'ios_idfa' | 'android_aaid' | 'advertising_id' {
  const platform = typeof deviceType === 'string' ? deviceType.toLowerCase() : '';
  if (platform === 'ios' || platform === 'ipados' || platform === 'tvos') return 'ios_idfa';
  if (platform === 'android') return 'android_aaid';
  return 'advertising_id';
}
