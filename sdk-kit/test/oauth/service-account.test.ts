import { createVerify, generateKeyPairSync } from 'node:crypto';
import { GOOGLE_TOKEN_URL, parseServiceAccountKey, signServiceAccountAssertion } from '../../src/index.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const key = { client_email: 'sync@project.iam.gserviceaccount.com', private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };

test('the assertion is an RS256 JWT for the scope, signed by the key, for an hour', () => {
  const jwt = signServiceAccountAssertion(key, 'https://www.googleapis.com/auth/analytics.edit', 1_800_000_000);
  const [header, claims, signature] = jwt.split('.');
  expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toEqual({ alg: 'RS256', typ: 'JWT' });
  expect(JSON.parse(Buffer.from(claims!, 'base64url').toString())).toEqual({
    iss: key.client_email,
    scope: 'https://www.googleapis.com/auth/analytics.edit',
    aud: GOOGLE_TOKEN_URL,
    iat: 1_800_000_000,
    exp: 1_800_003_600,
  });
  expect(createVerify('RSA-SHA256').update(`${header}.${claims}`).verify(publicKey, Buffer.from(signature!, 'base64url'))).toBe(true);
});

test('a bad key is an authentication failure naming the setting, never the key', () => {
  expect(() => parseServiceAccountKey('{"private_key": "secret-bits', { setting: 'settings.adminKey', codePrefix: 'GA4' })).toThrow(
    expect.objectContaining({ code: 'GA4_KEY_INVALID', message: expect.stringContaining('settings.adminKey') }),
  );
  try {
    parseServiceAccountKey(JSON.stringify({ private_key: 'secret-bits' }));
  } catch (error) {
    expect((error as Error).message).not.toContain('secret-bits');
    expect(error).toMatchObject({ code: 'SERVICE_ACCOUNT_KEY_INVALID' });
  }
  expect(parseServiceAccountKey(JSON.stringify(key))).toEqual(key);
});
