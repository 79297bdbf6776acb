import { createHash } from 'node:crypto';
import { audienceIdentifiers, normalizeAudienceIdentifier, sha256Identifier } from '../../src/index.js';
import { buildAudience } from '../../src/testing/index.js';

const sha256 = (v: string) => createHash('sha256').update(v, 'utf8').digest('hex');

test('normalises each identifier type the way audience syncs hand it to connectors', () => {
  expect(normalizeAudienceIdentifier('email', '  Jane.Doe@Example.COM ')).toBe('jane.doe@example.com');
  expect(normalizeAudienceIdentifier('phone', '+44 20 7946-0958')).toBe('+442079460958');
  expect(normalizeAudienceIdentifier('phone', '0044 20 7946 0958')).toBe('+442079460958');
  expect(normalizeAudienceIdentifier('phone', 'n/a')).toBeUndefined();
  expect(normalizeAudienceIdentifier('android_aaid', ' 38400000-8CF0-11BD-B23E-10B96E40000D ')).toBe('38400000-8cf0-11bd-b23e-10b96e40000d');
  expect(normalizeAudienceIdentifier('user_id', ' User-1 ')).toBe('User-1');
  expect(normalizeAudienceIdentifier('email', '   ')).toBeUndefined();
});

test('keeps an email or phone that already is a SHA-256 digest, but never lower-cases an id that looks like one', () => {
  const digest = sha256('jane.doe@example.com').toUpperCase();
  expect(normalizeAudienceIdentifier('email', digest)).toBe(digest.toLowerCase());
  expect(normalizeAudienceIdentifier('user_id', digest)).toBe(digest);
  expect(sha256Identifier('jane.doe@example.com')).toBe(sha256('jane.doe@example.com'));
  expect(sha256Identifier(digest.toLowerCase())).toBe(digest.toLowerCase());
});

test('reads user and anonymous ids from the event fields when identities lack them; "all" adds profile_id', () => {
  const event = { ...buildAudience({ userId: 'u-9', anonymousId: 'a-9', profileId: '77' }), identities: { email: 'X@Example.com', mpid: '123' } };
  expect(audienceIdentifiers(event, ['user_id', 'email', 'phone'])).toEqual({ user_id: 'u-9', email: 'x@example.com' });
  expect(audienceIdentifiers(event, 'all')).toEqual({ email: 'x@example.com', mpid: '123', user_id: 'u-9', anonymous_id: 'a-9', profile_id: '77' });
});
