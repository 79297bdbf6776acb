import { emptyChange, type GraphChange, type Identifier, type LinkedIdentifier, type StoredProfile } from './identity-store.js';

export interface WorkingProfile {
  id: string;
  createdAt: number;
  identifiers: Map<string, LinkedIdentifier>;
}

/**
 * The part of the graph one batch of resolutions reads, loaded once and changed in memory as each resolution is
 * planned, so the next one in the batch sees it; `change` collects what to write, applied in one transaction.
 */
export class WorkingSet {
  readonly profiles = new Map<string, WorkingProfile>();
  /** Every id asked for → the profile it is now (merged profiles answer with their survivor). */
  private readonly survivors = new Map<string, string>();
  /** Key → profiles it is linked to. Complete for the keys the batch asked about. */
  readonly linksByKey = new Map<string, Set<string>>();
  readonly change: GraphChange = emptyChange();
  /** Keys whose links changed, so caches drop them. */
  readonly touchedKeys = new Set<string>();

  constructor(
    byKey: Map<string, string[]>,
    profiles: Map<string, StoredProfile>,
    private readonly separated: Set<string>,
  ) {
    for (const [requested, stored] of profiles) {
      this.survivors.set(requested, stored.id);
      if (this.profiles.has(stored.id)) continue;
      this.profiles.set(stored.id, { id: stored.id, createdAt: stored.createdAt, identifiers: new Map(stored.identifiers.map((i) => [i.key, i])) });
      for (const identifier of stored.identifiers) this.linkSet(identifier.key).add(stored.id);
    }
    for (const [key, ids] of byKey) for (const id of ids) this.linkSet(key).add(this.survivors.get(id) ?? id);
  }

  private linkSet(key: string): Set<string> {
    let set = this.linksByKey.get(key);
    if (!set) this.linksByKey.set(key, (set = new Set()));
    return set;
  }

  profileOf(id: string): WorkingProfile | undefined {
    return this.profiles.get(this.survivors.get(id) ?? id);
  }

  linkedProfiles(key: string): WorkingProfile[] {
    return [...(this.linksByKey.get(key) ?? [])].map((id) => this.profiles.get(id)).filter((p): p is WorkingProfile => p !== undefined);
  }

  isSeparated(a: string, b: string): boolean {
    return this.separated.has(`${a}|${b}`);
  }

  create(id: string, createdAt: number, identifiers: LinkedIdentifier[]): WorkingProfile {
    const profile: WorkingProfile = { id, createdAt, identifiers: new Map() };
    this.profiles.set(id, profile);
    this.survivors.set(id, id);
    this.change.create.push({ id, createdAt });
    for (const identifier of identifiers) this.link(profile, identifier);
    return profile;
  }

  link(profile: WorkingProfile, identifier: LinkedIdentifier): void {
    profile.identifiers.set(identifier.key, identifier);
    this.linkSet(identifier.key).add(profile.id);
    this.touchedKeys.add(identifier.key);
    this.change.link.push({ profileId: profile.id, identifier });
  }

  unlink(profile: WorkingProfile, key: string): void {
    profile.identifiers.delete(key);
    this.linksByKey.get(key)?.delete(profile.id);
    this.touchedKeys.add(key);
    this.change.unlink.push({ profileId: profile.id, key });
  }

  /** `from` joins `into`: its identifiers move over and its id answers with `into` from now on. */
  merge(from: WorkingProfile, into: WorkingProfile): void {
    for (const [key, identifier] of from.identifiers) {
      if (!into.identifiers.has(key)) into.identifiers.set(key, identifier);
      const set = this.linkSet(key);
      set.delete(from.id);
      set.add(into.id);
      this.touchedKeys.add(key);
    }
    this.profiles.delete(from.id);
    for (const [requested, survivor] of this.survivors) if (survivor === from.id) this.survivors.set(requested, into.id);
    this.survivors.set(from.id, into.id);
    this.change.merge.push({ from: from.id, into: into.id });
  }

  log(entry: Omit<GraphChange['log'][number], 'identifiers'> & { identifiers: Iterable<Identifier> }): void {
    this.change.log.push({ ...entry, identifiers: [...entry.identifiers].map(({ type, value, key }) => ({ type, value, key })) });
  }
}
