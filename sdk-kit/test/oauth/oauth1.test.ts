// The worked example of https://developer.x.com/en/docs/authentication/oauth-1-0a/creating-a-signature
// (statuses/update with include_entities=true and a form body). Its documented base string and signing key give
// hCtSmYh+iHYCEqBWrE7C7hYmtUk= (openssl agrees); the header shown on the same page carries another value that does
// not follow from them, a long-known slip in that page.
import { oauth1Authorization } from '../../src/index.js';
import { verifyOAuth1Signature } from '../../src/testing/index.js';

const credentials = {
  consumerKey: 'xvz1evFS4wEEPTGEFPHBog',
  consumerSecret: 'kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw',
  token: '370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb',
  tokenSecret: 'LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE',
};
const request = {
  method: 'POST',
  url: 'https://api.twitter.com/1.1/statuses/update.json?include_entities=true',
  form: { status: 'Hello Ladies + Gentlemen, a signed OAuth request!' },
};
const secrets = { consumers: { [credentials.consumerKey]: credentials.consumerSecret }, tokens: { [credentials.token]: credentials.tokenSecret } };

test("signs X's documented example to its published signature", () => {
  const header = oauth1Authorization(request, credentials, { nonce: 'kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg', timestamp: 1318622958 });
  expect(header).toMatch(/^OAuth /);
  expect(header).toContain('oauth_signature="hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D"');
  expect(header).toContain('oauth_consumer_key="xvz1evFS4wEEPTGEFPHBog"');
  expect(verifyOAuth1Signature({ ...request, headers: { authorization: header } }, secrets)).toBeUndefined();
});

test('the independent verifier refuses a changed request, a changed secret and a missing field', () => {
  const headers = { authorization: oauth1Authorization({ method: 'POST', url: 'https://ads-api.x.com/12/measurement/conversions/o8z6j' }, credentials) };
  const url = 'https://ads-api.x.com/12/measurement/conversions/o8z6j';
  expect(verifyOAuth1Signature({ method: 'POST', url, headers }, secrets)).toBeUndefined();
  expect(verifyOAuth1Signature({ method: 'POST', url: `${url}x`, headers }, secrets)).toMatch(/does not match/);
  expect(verifyOAuth1Signature({ method: 'GET', url, headers }, secrets)).toMatch(/does not match/);
  expect(verifyOAuth1Signature({ method: 'POST', url, headers }, { ...secrets, tokens: { [credentials.token]: 'other' } })).toMatch(/does not match/);
  expect(
    verifyOAuth1Signature({ method: 'POST', url, headers: { authorization: headers.authorization.replace(/oauth_nonce="[^"]*", ?/, '') } }, secrets),
  ).toMatch(/oauth_nonce is missing/);
});
