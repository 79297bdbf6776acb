import { verifyOAuth1Signature, type CapturedRequest, type MockResponse } from '@switchyard/sdk-kit/testing';

export const CREDENTIALS = {
  consumerKey: 'xvz1evFS4wEEPTGEFPHBog',
  consumerSecret: 'kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw',
  accessToken: '370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb',
  accessTokenSecret: 'LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE',
};
const SECRETS = { consumers: { [CREDENTIALS.consumerKey]: CREDENTIALS.consumerSecret }, tokens: { [CREDENTIALS.accessToken]: CREDENTIALS.accessTokenSecret } };
const HEX64 = /^[a-f0-9]{64}$/;
const IDENTIFIER_KEYS = new Set(['twclid', 'hashed_email', 'hashed_phone_number', 'ip_address', 'user_agent']);

const errors = (status: number, code: string, message: string): MockResponse => ({ status, body: { errors: [{ code, message }], request: { params: {} } } });

/**
 * A stand-in for POST /12/measurement/conversions/:pixel_id as documented: OAuth 1.0a (HMAC-SHA1) user context,
 * up to 500 conversions, each with an ISO conversion_time, an event_id of the pixel and at least one identifier
 * (hashed values as SHA-256 hex, ip_address only with user_agent); one invalid conversion fails the request (400).
 */
export function createFakeX(pixels: Record<string, string[]> = { o8z6j: ['o87ne', 'tw-o8z6j-o87nf'] }) {
  const received: Array<Record<string, any>> = [];
  function respond(request: CapturedRequest): MockResponse {
    const problem = verifyOAuth1Signature(request, SECRETS);
    if (problem) return errors(401, 'UNAUTHORIZED_ACCESS', 'This request is not properly authenticated');
    const match = /^\/12\/measurement\/conversions\/([a-z0-9]+)$/.exec(new URL(request.url).pathname);
    if (request.method !== 'POST' || !match) return errors(404, 'ROUTE_NOT_FOUND', 'The requested resource could not be found');
    const events = pixels[match[1]!];
    if (!events) return errors(404, 'NOT_FOUND', `Pixel ${match[1]} not found`);
    const conversions = (request.body as { conversions?: Array<Record<string, any>> }).conversions;
    if (!Array.isArray(conversions) || conversions.length === 0 || conversions.length > 500)
      return errors(400, 'INVALID_PARAMETER', 'conversions must hold 1 to 500 items');
    for (const [i, c] of conversions.entries()) {
      if (typeof c.conversion_time !== 'string' || Number.isNaN(Date.parse(c.conversion_time)))
        return errors(400, 'INVALID_PARAMETER', `conversions[${i}].conversion_time is invalid`);
      if (!events.includes(c.event_id)) return errors(400, 'INVALID_PARAMETER', `conversions[${i}].event_id ${c.event_id} is not an event of this pixel`);
      const ids = c.identifiers as Array<Record<string, string>> | undefined;
      if (!Array.isArray(ids) || ids.length === 0) return errors(400, 'INVALID_PARAMETER', `conversions[${i}].identifiers is required`);
      for (const id of ids) {
        if (Object.keys(id).some((k) => !IDENTIFIER_KEYS.has(k))) return errors(400, 'INVALID_PARAMETER', `conversions[${i}].identifiers has an unknown key`);
        if ((id.hashed_email && !HEX64.test(id.hashed_email)) || (id.hashed_phone_number && !HEX64.test(id.hashed_phone_number))) {
          return errors(400, 'INVALID_PARAMETER', `conversions[${i}] identifiers must be SHA-256 hashes`);
        }
        if (Boolean(id.ip_address) !== Boolean(id.user_agent)) return errors(400, 'INVALID_PARAMETER', 'ip_address and user_agent go together');
      }
    }
    received.push(...conversions);
    return {
      status: 200,
      body: { data: { conversions_processed: conversions.length, debug_id: 'debug-1' }, request: { params: { account_id: '18ce54d4x5t' } } },
    };
  }
  return { received, respond };
}
