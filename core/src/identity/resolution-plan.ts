import type { IdentityRules } from './identity-rules.js';
import type { Identifier, LinkedIdentifier } from './identity-store.js';
import type { WorkingProfile, WorkingSet } from './working-set.js';

/** One thing to resolve to a person: an event's identifiers, or an IDSync request's. */
export interface ResolutionRequest {
  /** Normalised, without blocked or erased values, one per key. */
  identifiers: Identifier[];
  /** A profile id the caller names (mParticle's mpid): it matches that profile directly. */
  mpid?: string;
  /**
   * Profiles folded into the result whatever the login guard says, by key or id: a Segment alias's previous id,
   * or an mParticle previous_mpid (`anonymousOnly`: a known previous profile is another person and stays apart).
   */
  previous?: Array<{ key?: string; profileId?: string; anonymousOnly?: boolean }>;
  /** What caused it, for the log (`event:<messageId>`, `idsync:identify`). */
  cause: string;
  /** Search answers without creating or changing anything. */
  create: boolean;
}

export interface Resolution {
  profileId?: string;
  created: boolean;
  /** Identifiers of the request already linked to the profile it resolved to. */
  matched: Identifier[];
  /** Identifiers kept out of the profile, and the rule that kept them out. */
  leftOut: Array<{ identifier: Identifier; rule: string }>;
  /** Profiles merged into the result. */
  merged: string[];
  /** The profile holds a login identifier. */
  known: boolean;
}

interface Draft {
  id: string;
  identifiers: Map<string, LinkedIdentifier>;
  /** The id is the request's own mpid: the profile keeps it, and what it matches is merged into it. */
  named?: boolean;
}

type Target = { kind: 'existing'; profile: WorkingProfile } | { kind: 'new'; draft: Draft };

const MPID = /^-?\d{1,19}$/;

/** A profile id an mParticle client may name: a non-zero signed 64-bit integer. */
export function isProfileId(value: string): boolean {
  if (!MPID.test(value)) return false;
  const n = BigInt(value);
  return n !== 0n && n >= -(2n ** 63n) && n < 2n ** 63n;
}

/**
 * Plans one resolution against the working set and records its changes there. Identifiers are taken in priority
 * order: the profile of the first that matches becomes the target, and every other profile the request matches is
 * merged into it unless a rule forbids it (unique types, limits, the identifier cap, separations); a forbidden
 * merge leaves the lower-priority identifier out. Through a shared identifier (a device) a known profile is matched
 * only when the request carries one of its login ids.
 */
export function planResolution(ws: WorkingSet, request: ResolutionRequest, rules: IdentityRules, now: number, newId: () => string): Resolution {
  const entries: Identifier[] = [...request.identifiers];
  if (request.mpid !== undefined) entries.push({ type: 'mpid', value: request.mpid, key: `mpid:${request.mpid}` });
  entries.sort((a, b) => rules.rank(a.type) - rules.rank(b.type));
  const requestKeys = new Set(entries.map((e) => e.key));
  const isKnown = (identifiers: Iterable<LinkedIdentifier>) => [...identifiers].some((i) => rules.loginTypes.has(i.type));
  const carriesLoginOf = (p: WorkingProfile) => [...p.identifiers.values()].some((i) => rules.loginTypes.has(i.type) && requestKeys.has(i.key));
  const eligible = (p: WorkingProfile, via: Identifier) => !rules.sharedTypes.has(via.type) || !isKnown(p.identifiers.values()) || carriesLoginOf(p);

  let target: Target | undefined;
  const matched: Identifier[] = [];
  const leftOut: Resolution['leftOut'] = [];
  const merged: string[] = [];
  const newLinks: LinkedIdentifier[] = [];
  const targetId = () => (target?.kind === 'existing' ? target.profile.id : target?.draft.id);
  const targetIdentifiers = () => (target?.kind === 'existing' ? target.profile.identifiers : target!.draft.identifiers);

  const addTo = (identifier: Identifier) => {
    const linked: LinkedIdentifier = { ...identifier, linkedAt: now };
    const refusal = refusalToJoin(ws, rules, now, targetId()!, targetIdentifiers(), [linked]);
    if (refusal) return leftOut.push({ identifier, rule: refusal });
    if (target!.kind === 'new') target!.draft.identifiers.set(linked.key, linked);
    // A search (create: false) reports the profile it finds and links nothing to it.
    else if (request.create) {
      ws.link(target!.profile, linked);
      newLinks.push(linked);
    }
  };

  let started: WorkingProfile | undefined;
  const startProfile = (draft: Draft): WorkingProfile => {
    started = ws.create(draft.id, now, [...draft.identifiers.values()]);
    ws.log({ at: now, kind: 'create', profileId: started.id, identifiers: started.identifiers.values(), cause: request.cause, rule: 'new' });
    return started;
  };

  const join = (p: WorkingProfile, via: Identifier, rule: string): string | undefined => {
    if (!target) {
      target = { kind: 'existing', profile: p };
      return undefined;
    }
    if (target.kind === 'new' && target.draft.named && request.create) {
      // A profile named by its mpid starts now, so what else the request matches is merged into it.
      target = { kind: 'existing', profile: startProfile(target.draft) };
    }
    if (target.kind === 'new') {
      // The new identifiers so far join the existing profile instead of starting one.
      const drafted = [...target.draft.identifiers.values()];
      const refusal = refusalToJoin(ws, rules, now, p.id, p.identifiers, drafted);
      if (refusal) return refusal;
      target = { kind: 'existing', profile: p };
      if (!request.create) return undefined;
      for (const identifier of drafted) {
        ws.link(p, identifier);
        newLinks.push(identifier);
      }
      return undefined;
    }
    const into = target.profile;
    if (ws.isSeparated(`profile:${p.id}`, into.id) || ws.isSeparated(`profile:${into.id}`, p.id)) return 'separated';
    const refusal = refusalToJoin(ws, rules, now, into.id, into.identifiers, [...p.identifiers.values()]);
    if (refusal) return refusal;
    if (request.create) {
      ws.log({
        at: now,
        kind: 'merge',
        profileId: into.id,
        otherProfileId: p.id,
        identifiers: p.identifiers.values(),
        cause: request.cause,
        rule: `${rule}:${via.type}`,
      });
      ws.merge(p, into);
    }
    merged.push(p.id);
    return undefined;
  };

  for (const entry of entries) {
    const linked = entry.type === 'mpid' ? [ws.profileOf(entry.value)].filter((p): p is WorkingProfile => p !== undefined) : ws.linkedProfiles(entry.key);
    const current = targetId();
    if (current !== undefined && linked.some((p) => p.id === current)) {
      matched.push(entry);
      continue;
    }
    // Among several people sharing a device, the one seen there most recently.
    const candidate = linked.filter((p) => eligible(p, entry)).sort((a, b) => b.createdAt - a.createdAt)[0];
    if (!candidate) {
      if (entry.type === 'mpid') {
        // An mpid the graph does not know yet (assigned by mParticle itself) names the new profile.
        if (isProfileId(entry.value) && !target) target = { kind: 'new', draft: { id: entry.value, identifiers: new Map(), named: true } };
        else if (isProfileId(entry.value) && target?.kind === 'new') Object.assign(target.draft, { id: entry.value, named: true });
        else leftOut.push({ identifier: entry, rule: 'unknown_mpid' });
        continue;
      }
      if (!target) target = { kind: 'new', draft: { id: newId(), identifiers: new Map() } };
      addTo(entry);
      continue;
    }
    const refusal = join(candidate, entry, 'match');
    if (!refusal) matched.push(entry);
    else if (rules.sharedTypes.has(entry.type)) addTo(entry);
    else leftOut.push({ identifier: entry, rule: refusal });
  }

  for (const previous of request.previous ?? []) {
    const candidates = previous.profileId !== undefined ? [ws.profileOf(previous.profileId)] : ws.linkedProfiles(previous.key!);
    for (const p of candidates) {
      if (!p || p.id === targetId()) continue;
      if (previous.anonymousOnly && isKnown(p.identifiers.values())) {
        leftOut.push({ identifier: { type: 'previous', value: p.id, key: `profile:${p.id}` }, rule: 'previous_known' });
        continue;
      }
      const refusal = join(p, { type: 'previous', value: p.id, key: `profile:${p.id}` }, 'alias');
      if (refusal) leftOut.push({ identifier: { type: 'previous', value: p.id, key: `profile:${p.id}` }, rule: refusal });
    }
  }

  if (!target) return { created: false, matched, leftOut, merged, known: false };
  if (target.kind === 'new') {
    if (!request.create) return { created: false, matched, leftOut, merged, known: false };
    const profile = ws.create(target.draft.id, now, [...target.draft.identifiers.values()]);
    ws.log({ at: now, kind: 'create', profileId: profile.id, identifiers: profile.identifiers.values(), cause: request.cause, rule: 'new' });
    return { profileId: profile.id, created: true, matched, leftOut, merged, known: isKnown(profile.identifiers.values()) };
  }
  const profile = target.profile;
  if (newLinks.length) ws.log({ at: now, kind: 'link', profileId: profile.id, identifiers: newLinks, cause: request.cause, rule: 'new_identifier' });
  return { profileId: profile.id, created: profile === started, matched, leftOut, merged, known: isKnown(profile.identifiers.values()) };
}

/** Why `joining` may not be added to the profile `profileId` holding `holding`, or undefined when it may. */
export function refusalToJoin(
  ws: WorkingSet,
  rules: IdentityRules,
  now: number,
  profileId: string,
  holding: Map<string, LinkedIdentifier>,
  joining: readonly LinkedIdentifier[],
): string | undefined {
  const added = joining.filter((i) => !holding.has(i.key));
  if (added.length === 0) return undefined;
  if (added.some((i) => ws.isSeparated(i.key, profileId))) return 'separated';
  const union = [...holding.values(), ...added];
  for (const type of rules.unique) {
    if (new Set(union.filter((i) => i.type === type).map((i) => i.key)).size > 1) return `unique:${type}`;
  }
  for (const [type, limit] of rules.limits) {
    if (!added.some((i) => i.type === type)) continue;
    const since = limit.windowMs === undefined ? -Infinity : now - limit.windowMs;
    if (union.filter((i) => i.type === type && i.linkedAt >= since).length > limit.max) return `limit:${type}`;
  }
  if (union.length > rules.maxIdentifiersPerProfile) return 'max_identifiers';
  return undefined;
}
