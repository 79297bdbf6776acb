export { normalizeAudienceIdentifier, audienceIdentifiers, sha256Identifier } from './identifiers.js';
export { audienceChangeProblem, UNMATCHED, SUPERSEDED } from './audience-executor.js';
