import type { SubjectIdentity } from './dsr-types.js';
import type { Person, RawIdentifier } from '../identity/identity-graph.js';
import { personKeys } from '../privacy/privacy-gate.js';
import { canonicalIdentities, canonicalTypesOf, identityKeysForSubject } from './subject-identities.js';

/** A data subject as the request names them, widened to the whole person the identity graph knows. */
export interface SubjectPerson {
  persons: Person[];
  /** Every key to purge, look up and revoke: the request's identities, the person's identifiers and profiles. */
  keys: string[];
  /**
   * The identities a connection's onDelete/onExport is called with, once per set: a set holds one value per type
   * (the request's first), so a person with two emails or five anonymous ids is reached under each. Every set
   * carries `profile_id`, which warehouses match their column against.
   */
  identitySets: Array<Record<string, string>>;
}

export async function subjectPerson(subject: SubjectIdentity[], personsOf: (identifiers: RawIdentifier[]) => Promise<Person[]>): Promise<SubjectPerson> {
  const raw = subject.flatMap((i) => canonicalTypesOf(i.identity_type).map((type) => ({ type, value: i.identity_value })));
  const persons = await personsOf(raw);
  const keys = [...new Set([...identityKeysForSubject(subject), ...persons.flatMap(personKeys)])];
  const requested = canonicalIdentities(subject);
  if (persons.length === 0) return { persons, keys, identitySets: [requested] };
  const identitySets: Array<Record<string, string>> = [];
  for (const [index, person] of persons.entries()) {
    const sets: Array<Record<string, string>> = [index === 0 ? { ...requested } : {}];
    const used = new Set(Object.entries(sets[0]!).map(([type, value]) => `${type}:${value}`));
    for (const { type, value } of person.identifiers) {
      if (type === 'profile_id' || used.has(`${type}:${value}`)) continue;
      used.add(`${type}:${value}`);
      let set = sets.find((s) => s[type] === undefined);
      if (!set) sets.push((set = {}));
      set[type] = value;
    }
    for (const set of sets) identitySets.push({ ...set, profile_id: person.profileId });
  }
  return { persons, keys, identitySets };
}
