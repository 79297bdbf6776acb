import { headers as natsHeaders, type MsgHdrs } from 'nats';
import type { DeliveryError, QueuedDelivery } from '../../types.js';

/** What a delivery message carries besides its body (the event): one header each, read back at lease. */
export interface DeliveryHeaders {
  messageId: string;
  sourceId: string;
  connectionId: string;
  /** One id per accepted event, shared by its deliveries, so data-subject look-ups group them back into events. */
  eventId: string;
  identityKeys: string[];
  enqueuedAt: number;
  privacyVersion: number;
}

export interface DeadLetterHeaders extends DeliveryHeaders {
  attempts: number;
  deadAt: number;
  error: DeliveryError;
}

const H = {
  messageId: 'Sy-Message-Id',
  sourceId: 'Sy-Source',
  connectionId: 'Sy-Connection',
  eventId: 'Sy-Event',
  identityKeys: 'Sy-Identities',
  enqueuedAt: 'Sy-Enqueued-At',
  privacyVersion: 'Sy-Privacy-Version',
  attempts: 'Sy-Attempts',
  deadAt: 'Sy-Dead-At',
  error: 'Sy-Error',
} as const;

export function encodeDelivery(d: DeliveryHeaders): MsgHdrs {
  const h = natsHeaders();
  h.set(H.messageId, d.messageId);
  h.set(H.sourceId, d.sourceId);
  h.set(H.connectionId, d.connectionId);
  h.set(H.eventId, d.eventId);
  // JSON escapes line breaks, which a header value cannot hold.
  h.set(H.identityKeys, JSON.stringify(d.identityKeys));
  h.set(H.enqueuedAt, String(d.enqueuedAt));
  h.set(H.privacyVersion, String(d.privacyVersion));
  return h;
}

export function encodeDeadLetter(d: DeadLetterHeaders): MsgHdrs {
  const h = encodeDelivery(d);
  h.set(H.attempts, String(d.attempts));
  h.set(H.deadAt, String(d.deadAt));
  h.set(H.error, JSON.stringify(d.error));
  return h;
}

export function decodeDelivery(h: MsgHdrs | undefined): DeliveryHeaders {
  const get = (name: string) => h?.get(name) ?? '';
  return {
    messageId: get(H.messageId),
    sourceId: get(H.sourceId),
    connectionId: get(H.connectionId),
    eventId: get(H.eventId),
    identityKeys: JSON.parse(get(H.identityKeys) || '[]') as string[],
    enqueuedAt: Number(get(H.enqueuedAt)),
    privacyVersion: Number(get(H.privacyVersion) || 0),
  };
}

export function decodeDeadLetter(h: MsgHdrs | undefined): DeadLetterHeaders {
  const get = (name: string) => h?.get(name) ?? '';
  return { ...decodeDelivery(h), attempts: Number(get(H.attempts)), deadAt: Number(get(H.deadAt)), error: JSON.parse(get(H.error) || '{}') as DeliveryError };
}

export function toQueuedDelivery(id: number, d: DeliveryHeaders, body: string, attempts: number): QueuedDelivery {
  return { id, connectionId: d.connectionId, messageId: d.messageId, body, attempts, enqueuedAt: d.enqueuedAt, privacyVersion: d.privacyVersion };
}
