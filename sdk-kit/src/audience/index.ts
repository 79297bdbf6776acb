export { normalizeAudienceIdentifier, audienceIdentifiers, sha256Identifier } from './identifiers.js';
export { audienceChangeProblem, UNMATCHED, SUPERSEDED } from './audience-executor.js';
export { executeListMembers, type ListMembersOutcome, type ListMembersRequest } from './list-members.js';
