import { SubjectMatcher } from '../../src/subject-matcher.js';

const PROFILE = '-4512889312377821203';

test('a subject named by profile_id matches the records whose profileId is that profile, whatever other ids they carry, and no others', () => {
  const matcher = new SubjectMatcher({ profile_id: PROFILE });
  expect(matcher.matches({ userId: 'u-1', identities: { user_id: 'u-1' }, profileId: PROFILE })).toBe(true);
  expect(matcher.matches({ anonymousId: 'a-2', identities: {}, profileId: PROFILE })).toBe(true);
  expect(matcher.matches({ userId: 'u-1', identities: { user_id: 'u-1' }, profileId: '7305816447411432790' })).toBe(false);
  expect(matcher.matches({ userId: 'u-1', identities: { user_id: 'u-1' } })).toBe(false);
  // A user id that happens to spell the profile id is another identity.
  expect(matcher.matches({ userId: PROFILE, identities: { user_id: PROFILE } })).toBe(false);
});
