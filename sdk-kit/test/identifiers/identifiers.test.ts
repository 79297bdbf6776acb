import { createHash } from 'node:crypto';
import { CONVERSIONS_USER_DATA, hashFields, hashIdentifier, normalize, normalizeE164, validateMapping, evaluateMapping } from '../../src/index.js';

const sha256 = (v: string) => createHash('sha256').update(v, 'utf8').digest('hex');

test('normalises each kind by the rule vendors document', () => {
  expect(normalize('  Jane.Doe@Example.COM ', 'email')).toBe('jane.doe@example.com');
  expect(normalize('J.A.N.E@GoogleMail.com', 'gmail')).toBe('jane@googlemail.com');
  expect(normalize('jane.doe@example.com', 'gmail')).toBe('jane.doe@example.com');
  expect(normalize('+1 (650) 555-1234', 'phone')).toBe('16505551234');
  expect(normalize('+1 (650) 555-1234', 'e164')).toBe('+16505551234');
  expect(normalize(' Mary-Jane ', 'name')).toBe('maryjane');
  expect(normalize('New York', 'place')).toBe('newyork');
  expect(normalize('94105-1234', 'zip')).toBe('94105');
  expect(normalize('941051234', 'zip')).toBe('94105');
  expect(normalize('SW1A 1AA', 'zip')).toBe('sw1a1aa');
  expect(normalize(' US ', 'country')).toBe('us');
  expect(normalize('Female', 'gender')).toBe('f');
  expect(normalize('1990-01-31', 'date')).toBe('19900131');
});

test('E.164 keeps an international number and completes a national one with the default country code', () => {
  expect(normalizeE164('+44 20 7946 0958')).toBe('+442079460958');
  expect(normalizeE164('0044 20 7946 0958', '1')).toBe('+442079460958');
  expect(normalizeE164('(650) 555-1234', '1')).toBe('+16505551234');
  expect(normalizeE164('1 650 555 1234', '1')).toBe('+16505551234');
  expect(normalizeE164('020 7946 0958', '44')).toBe('+442079460958');
  expect(normalizeE164('n/a', '1')).toBe('');
});

test('hashes a normalised identifier, keeps a digest, and gives nothing for what the rule leaves empty', () => {
  expect(hashIdentifier(' Jane@Example.com ', 'email')).toBe(sha256('jane@example.com'));
  expect(hashIdentifier(sha256('x').toUpperCase(), 'email')).toBe(sha256('x'));
  expect(hashIdentifier('   ', 'email')).toBeUndefined();
  expect(hashIdentifier('n/a', 'phone')).toBeUndefined();
  expect(hashIdentifier(undefined, 'email')).toBeUndefined();
  expect(hashIdentifier(94105, 'zip')).toBe(sha256('94105'));
});

test('hashes the Conversions API user_data keys item by item and passes the others through', () => {
  const hashed = hashFields(
    { em: ['A@x.com', ' '], ph: '+1 650 555 1234', zp: '94105-1234', client_ip_address: '203.0.113.7', fbc: '', external_id: ' u-1 ' },
    CONVERSIONS_USER_DATA,
  );
  expect(hashed).toEqual({
    em: [sha256('a@x.com')],
    ph: sha256('16505551234'),
    zp: sha256('94105'),
    client_ip_address: '203.0.113.7',
    external_id: sha256('u-1'),
  });
});

test('mappings normalise and hash with every kind, and name the kinds when one is unknown', () => {
  const mapping = {
    phone: { '@normalize': { value: { '@path': '$.traits.phone' }, as: 'e164' } },
    zip: { '@hash': { value: { '@path': '$.traits.zip' }, normalize: 'zip' } },
  };
  expect(validateMapping(mapping)).toEqual([]);
  expect(evaluateMapping(mapping, { traits: { phone: '+1 (650) 555-1234', zip: '94105-1234' } })).toEqual({ phone: '+16505551234', zip: sha256('94105') });
  expect(validateMapping({ p: { '@normalize': { value: 'x', as: 'sms' } } }).join('\n')).toMatch(/must be one of email, gmail, phone, e164/);
});
