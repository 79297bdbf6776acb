export { normalizeAudienceIdentifier, audienceIdentifiers } from './identifiers.js';
export { audienceChangeProblem, UNMATCHED, SUPERSEDED } from './audience-executor.js';
export { executeListMembers, type ListMembersOutcome, type ListMembersRequest } from './list-members.js';
