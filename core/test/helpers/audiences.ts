import { randomUUID } from 'node:crypto';
import type { RouterOptions, SwitchyardConfig } from '../../src/index.js';
import type { AudienceMembershipListener, ExitReason } from '../../src/audiences/audience-types.js';
import { until } from './deliveries.js';
import { RouterFixture } from './router.js';

export const ADMIN = 'admin-token-audiences-01';

/** 2026-03-01T12:00:00Z: the audience clock's start in tests that move it. */
export const START = Date.UTC(2026, 2, 1, 12);
export const DAY_MS = 86_400_000;

const BASE: SwitchyardConfig = {
  admin: { tokens: [ADMIN] },
  dsr: { gracePeriodMs: 0 },
  sources: [
    { id: 'web', type: 'segment', writeKey: 'wk_web' },
    { id: 'app', type: 'mparticle', apiKey: 'mp_key', apiSecret: 'mp_secret' },
  ],
};

export type MembershipCall =
  { kind: 'entered'; audience: string; profileId: string } | { kind: 'exited'; audience: string; profileId: string; reason: ExitReason };

/**
 * A real router with a Segment source, an admin token and a clock of its own for audiences, and the calls tests
 * make: Segment events, admin requests, a person's profile id, an audience's members, a day rollover.
 */
export class AudienceRouter {
  now = START;
  readonly calls: MembershipCall[] = [];
  private fixture!: RouterFixture;

  static async start(config: Partial<SwitchyardConfig> = {}, options: Partial<RouterOptions> = {}): Promise<AudienceRouter> {
    const router = new AudienceRouter();
    router.fixture = await new RouterFixture({ ...BASE, ...config }, undefined, { clock: () => router.now, ...options }).start();
    router.listen();
    return router;
  }

  private listen(): void {
    const listener: AudienceMembershipListener = {
      entered: (audience, profileId) => void this.calls.push({ kind: 'entered', audience, profileId }),
      exited: (audience, profileId, _at, reason) => void this.calls.push({ kind: 'exited', audience, profileId, reason }),
    };
    this.router.audiences.listen(listener);
  }

  /** Stops the router and starts a new one on the same config and storage folder. */
  async restart(): Promise<void> {
    await this.router.close();
    await this.fixture.start();
    this.listen();
  }

  get router() {
    return this.fixture.router;
  }

  /** Writes a new config file (over the base one) and reloads it. */
  reload(config: Partial<SwitchyardConfig>) {
    this.fixture.writeConfig({ ...BASE, ...config });
    return this.router.reload();
  }

  admin(method: string, path: string, body?: unknown) {
    return this.fixture.send(path, body, { method, headers: { authorization: `Bearer ${ADMIN}` } });
  }

  /** Sends a Segment call stamped with the audience clock's time; resolves once it is accepted. */
  async segment(type: 'track' | 'identify' | 'alias', message: Record<string, unknown>): Promise<string> {
    const messageId = randomUUID();
    const response = await this.fixture.send(`/v1/${type}`, { messageId, timestamp: new Date(this.now).toISOString(), ...message }, { auth: 'wk_web:' });
    expect(response.status).toBe(200);
    return messageId;
  }

  /** Sends an mParticle batch (events stamped with the audience clock's time); resolves once it is accepted. */
  async mparticle(batch: Record<string, unknown>): Promise<void> {
    const events = ((batch.events as Array<{ data?: Record<string, unknown> }> | undefined) ?? []).map((e) => ({
      ...e,
      data: { timestamp_unixtime_ms: this.now, ...e.data },
    }));
    const response = await this.fixture.send('/v2/events', { ...batch, events }, { auth: 'mp_key:mp_secret' });
    expect(response.status).toBe(202);
  }

  async profileOf(type: string, value: string): Promise<string> {
    let id: string | undefined;
    await until(async () => {
      const found = await this.admin('GET', `/admin/v1/profiles?identity_type=${type}&identity_value=${encodeURIComponent(value)}`);
      id = found.json.profiles?.[0]?.profile_id;
      return id !== undefined;
    }, `a profile for ${type} ${value}`);
    return id!;
  }

  async members(audience: string): Promise<string[]> {
    const response = await this.admin('GET', `/admin/v1/audiences/${audience}/members?limit=1000`);
    expect(response.status).toBe(200);
    return (response.json.members as Array<{ profile_id: string }>).map((m) => m.profile_id).sort();
  }

  /** Waits until the audience's members are exactly `expected`. */
  async membersBecome(audience: string, expected: string[], timeoutMs = 10_000): Promise<void> {
    const wanted = JSON.stringify([...expected].sort());
    let seen: string[] = [];
    await until(
      async () => JSON.stringify((seen = await this.members(audience))) === wanted,
      `members of ${audience} to be ${wanted} (last seen ${JSON.stringify(seen)})`,
      timeoutMs,
    );
  }

  /** Moves the audience clock on and runs the rollover the scheduler would run at the next check. */
  async advanceDays(days: number): Promise<void> {
    this.now += days * DAY_MS;
    await this.router.audiences.rollover.check();
    await this.router.audiences.idle();
  }

  /** Waits until everything sent so far has been evaluated. */
  idle(): Promise<void> {
    return this.router.audiences.idle();
  }

  async close(): Promise<void> {
    await this.fixture?.close();
  }
}
