import { isDeepStrictEqual } from 'node:util';
import { isHostAllowed } from '../egress.js';
import { checkManifest, checkSettings } from '../manifest.js';
import { secretPaths } from '../secrets.js';
import type { CanonicalEvent, ItemOutcome, ItemResult } from '../types.js';
import type { ConnectorFacts } from './conformance-types.js';
import type { TestHarness } from './harness.js';
import { buildAudience } from './events.js';
import { neverAnswer, type CapturedRequest, type Responder } from './http-capture.js';
import { describeSettings, valueAt } from './secret-names.js';

export interface Probe {
  results: ItemResult[];
  requests: CapturedRequest[];
  logs: string[];
  denied: string[];
}

export interface CheckContext extends ConnectorFacts {
  events: CanonicalEvent[];
  /** Everything every scenario captured, for the checks that run last. */
  captured: { requests: CapturedRequest[]; logs: string[]; results: ItemResult[]; denied: string[] };
  /** Sample events that were delivered and made at least one request (any event, for connectors without HTTP). */
  deliverable: CanonicalEvent[];
  /** The success responder, or `failure` for the requests `failWhere` selects. */
  responder(failure?: Responder): Responder;
  harness(respond: Responder, settings?: unknown): TestHarness;
  probe(events: CanonicalEvent[], respond: Responder): Promise<Probe>;
}

export interface Check {
  name: string;
  title: string;
  applies(facts: ConnectorFacts): boolean;
  run(context: CheckContext): Promise<string[]>;
  runsLast?: boolean;
}

const always = () => true;
const overHttp = (facts: ConnectorFacts) => facts.usesHttp;
const SIMULATED = { message: 'simulated by the Switchyard conformance suite' };
const describeEvent = (e: CanonicalEvent) => `${e.type}${e.event ? ` "${e.event}"` : ''} (${e.messageId})`;
const describeResult = (r: ItemResult) => `${r.status}${r.code ? ` ${r.code}` : ''}${r.message ? `: ${r.message}` : ''}`;

/** Sends the deliverable events with `failure` answers and lists events whose result is not `expected`. */
async function expectOutcome(
  context: CheckContext,
  failure: Responder,
  expected: ItemOutcome,
  extra?: (r: ItemResult) => string | undefined,
): Promise<string[]> {
  if (context.deliverable.length === 0) {
    return ['no sample event was delivered over HTTP, so this could not be checked: pass sampleEvents (and respond) the connector sends'];
  }
  const { results, requests } = await context.probe(context.deliverable, context.responder(failure));
  if (requests.length === 0) return ['the connector made no request for the sample events this time'];
  return context.deliverable.flatMap((event, i) => {
    const result = results[i]!;
    if (result.status !== expected) return [`${describeEvent(event)}: expected "${expected}", got ${describeResult(result)}`];
    const problem = extra?.(result);
    return problem ? [`${describeEvent(event)}: ${problem}`] : [];
  });
}

/** A person with every common identifier, entering (or leaving) an audience with the fixture's sync settings. */
function audienceChange(context: CheckContext, action: 'add' | 'remove'): CanonicalEvent {
  const event = buildAudience({ audience: { action, sync: context.options.audienceSync ?? {} } });
  return {
    ...event,
    identities: { ...event.identities, ios_idfa: '6d92078a-8246-4ba4-ae5b-76104861e7dc', android_aaid: '38400000-8cf0-11bd-b23e-10b96e40000d' },
  };
}

async function checkAudienceSync(context: CheckContext): Promise<string[]> {
  const problems: string[] = [];
  for (const action of ['add', 'remove'] as const) {
    const { results, requests } = await context.probe([audienceChange(context, action)], context.responder());
    const result = results[0]!;
    if (result.code === 'SYNC_SETTINGS_INVALID') return [`the sync settings of the sample changes are invalid (${result.message}): pass audienceSync`];
    if (result.status !== 'ok' || result.code === 'UNMATCHED') {
      problems.push(`a person with email, phone, user id, advertising ids and a profile id, action "${action}": expected "ok", got ${describeResult(result)}`);
    } else if (context.usesHttp && requests.length === 0) problems.push(`action "${action}" made no request for a matched person`);
  }
  const nobody = {
    ...buildAudience({ userId: undefined, anonymousId: undefined, profileId: undefined, audience: { sync: context.options.audienceSync ?? {} } }),
    identities: {},
  };
  const { results, requests } = await context.probe([nobody], context.responder());
  if (results[0]!.code !== 'UNMATCHED') problems.push(`a person without any identifier: expected "ok" UNMATCHED, got ${describeResult(results[0]!)}`);
  if (requests.length > 0) problems.push(`a person without any identifier was sent (${requests.length} request(s))`);
  return problems;
}

export const CHECKS: Check[] = [
  {
    name: 'manifest',
    title: "manifest passes the router's checks",
    applies: always,
    run: async ({ connector }) => checkManifest(connector),
  },
  {
    name: 'settings-schema',
    title: 'settings schema is an object schema that accepts the fixture settings',
    applies: always,
    run: async ({ connector, options }) => {
      const schema = connector.settings as { type?: unknown; properties?: unknown };
      if (schema?.type !== 'object' || typeof schema.properties !== 'object') {
        return ['settings: must be an object schema with properties (Type.Object({...}))'];
      }
      return checkSettings(connector, structuredClone(options.settings ?? {})).map((problem) => `the fixture settings are invalid: ${problem}`);
    },
  },
  {
    name: 'secret-settings',
    title: 'settings named like secrets (apiKey, token, secret, password) are marked secret',
    applies: always,
    run: async ({ connector }) =>
      describeSettings(connector.settings)
        .filter((s) => s.looksSecret && s.secret === undefined)
        .map(
          (s) =>
            `settings.${s.path.join('.')} looks like a secret (its name ends in "${s.looksSecret}") but is not marked: add \`secret: true\` to its schema so logs and errors scrub it (or \`secret: false\` if it is not a secret)`,
        ),
  },
  {
    name: 'delivers',
    title: 'delivers the sample events when the destination accepts them',
    applies: always,
    run: async (context) => {
      const problems: string[] = [];
      let taken = 0;
      for (const event of context.events) {
        const { results, requests } = await context.probe([event], context.responder());
        const result = results[0]!;
        if (result.code === 'NOT_SUBSCRIBED') continue;
        taken += 1;
        if (result.status !== 'ok') problems.push(`${describeEvent(event)}: expected "ok", got ${describeResult(result)}`);
        else if (!context.usesHttp || requests.length > 0) context.deliverable.push(event);
      }
      if (taken === 0)
        problems.push(
          `no action takes any of the sample events (${context.events.map((e) => e.type).join(', ')}): pass sampleEvents the connector subscribes to`,
        );
      else if (context.usesHttp && context.deliverable.length === 0 && problems.length === 0) {
        problems.push('the connector declares egress hosts but made no HTTP request for any sample event: pass sampleEvents it sends');
      }
      return problems;
    },
  },
  {
    name: 'audience-sync',
    title: 'audience sync: adds and removes a person, and never sends one without an identifier',
    applies: (facts) => facts.hasAudience,
    run: checkAudienceSync,
  },
  {
    name: 'audience-rate-limit',
    title: 'audience sync: a 429 with Retry-After becomes "rate_limited" with retryAfterMs',
    applies: (facts) => facts.hasAudience && facts.usesHttp,
    run: async (context) => {
      const { results } = await context.probe(
        [audienceChange(context, 'add')],
        context.responder(() => ({ status: 429, headers: { 'retry-after': '7' }, body: SIMULATED })),
      );
      const result = results[0]!;
      if (result.status !== 'rate_limited') return [`expected "rate_limited", got ${describeResult(result)}`];
      return result.retryAfterMs !== undefined && result.retryAfterMs >= 6000 && result.retryAfterMs <= 8000
        ? []
        : [`expected retryAfterMs ≈ 7000 from "Retry-After: 7", got ${String(result.retryAfterMs)}`];
    },
  },
  {
    name: 'rate-limit',
    title: 'a 429 with Retry-After becomes "rate_limited" with retryAfterMs',
    applies: overHttp,
    run: (context) =>
      expectOutcome(
        context,
        () => ({ status: 429, headers: { 'retry-after': '7' }, body: SIMULATED }),
        'rate_limited',
        (r) =>
          r.retryAfterMs !== undefined && r.retryAfterMs >= 6000 && r.retryAfterMs <= 8000
            ? undefined
            : `expected retryAfterMs ≈ 7000 from "Retry-After: 7", got ${String(r.retryAfterMs)}`,
      ),
  },
  {
    name: 'server-error',
    title: '5xx answers are "retryable"',
    applies: overHttp,
    run: async (context) => [
      ...(await expectOutcome(context, () => ({ status: 500, body: SIMULATED }), 'retryable')),
      ...(await expectOutcome(context, () => ({ status: 503, body: SIMULATED }), 'retryable')),
    ],
  },
  {
    name: 'timeout',
    title: 'requests that time out are "retryable"',
    applies: overHttp,
    run: (context) => expectOutcome(context, neverAnswer, 'retryable'),
  },
  {
    name: 'client-error',
    title: '4xx answers (400, 422) are "permanent"',
    applies: overHttp,
    run: async (context) => [
      ...(await expectOutcome(context, () => ({ status: 400, body: SIMULATED }), 'permanent')),
      ...(await expectOutcome(context, () => ({ status: 422, body: SIMULATED }), 'permanent')),
    ],
  },
  {
    name: 'authentication',
    title: '401 and 403 answers are "authentication" failures',
    applies: overHttp,
    run: async (context) => [
      ...(await expectOutcome(context, () => ({ status: 401, body: SIMULATED }), 'authentication')),
      ...(await expectOutcome(context, () => ({ status: 403, body: SIMULATED }), 'authentication')),
    ],
  },
  {
    name: 'batch-partial-failure',
    title: 'a batch the destination partly rejects gets per-item results',
    applies: (facts) => facts.hasBatchAction && facts.options.partialFailure !== undefined,
    run: (context) => checkPartialFailure(context),
  },
  {
    name: 'on-export',
    title: "onExport reads the subject's records back as { source, data } and classifies errors",
    applies: (facts) => typeof facts.connector.onExport === 'function',
    run: (context) => checkOnExport(context),
  },
  {
    name: 'on-delete',
    title: 'onDelete forwards an erasure to an egress host and classifies errors',
    applies: (facts) => typeof facts.connector.onDelete === 'function',
    run: (context) => checkOnDelete(context),
  },
  {
    name: 'egress',
    title: 'every request goes to a host declared in egress',
    applies: always,
    runsLast: true,
    run: async ({ egress, captured }) => {
      const problems = egress
        .filter((p) => /[/\s]|^https?:/i.test(p))
        .map((p) => `egress entry "${p}" must be a host name (api.example.com, *.example.com or host:port), not a URL`);
      const hosts = new Set(captured.requests.filter((r) => !isHostAllowed(new URL(r.url), egress)).map((r) => r.host));
      for (const url of captured.denied) hosts.add(new URL(url).host);
      for (const host of hosts) {
        problems.push(`the connector called ${host}, which is not in its egress list (${egress.join(', ') || 'empty'}): declare it in \`egress\``);
      }
      return problems;
    },
  },
  {
    name: 'secrets-not-logged',
    title: 'secret settings never appear in logs or result messages',
    applies: always,
    runsLast: true,
    run: async ({ connector, options, captured }) => {
      const settings = options.settings ?? {};
      const paths = [
        ...secretPaths(connector.settings),
        ...describeSettings(connector.settings)
          .filter((s) => s.looksSecret && s.secret !== false)
          .map((s) => s.path),
      ];
      const secrets = new Map(
        paths.flatMap((p) => {
          const value = valueAt(settings, p);
          return value ? [[p.join('.'), value] as const] : [];
        }),
      );
      if (paths.length > 0 && secrets.size === 0) {
        return [
          `the fixture settings have no value for the secret settings (${[...new Set(paths.map((p) => p.join('.')))].join(', ')}): give them one so this check means something`,
        ];
      }
      const problems: string[] = [];
      for (const [path, value] of secrets) {
        const line = captured.logs.find((l) => l.includes(value));
        if (line)
          problems.push(
            `settings.${path} appeared in the connector's log output: ${line
              .split(value)
              .join('<settings.' + path + '>')
              .slice(0, 300)}`,
          );
        const result = captured.results.find((r) => r.message?.includes(value));
        if (result)
          problems.push(
            `settings.${path} appeared in a result message: ${result
              .message!.split(value)
              .join('<settings.' + path + '>')
              .slice(0, 300)}`,
          );
      }
      return problems;
    },
  },
];

async function checkPartialFailure(context: CheckContext): Promise<string[]> {
  const fixture = context.options.partialFailure!;
  const actions = Object.entries(context.connector.actions);
  const [name] = fixture.action
    ? (actions.find(([n]) => n === fixture.action) ?? [undefined])
    : (actions.find(([, a]) => typeof a.performBatch === 'function') ?? [undefined]);
  if (!name) return [`partialFailure.action "${fixture.action}" is not an action of this connector`];
  let events = fixture.events ?? context.deliverable;
  if (events.length === 1) events = [events[0]!, { ...events[0]!, messageId: `${events[0]!.messageId}-2` }];
  if (events.length < 2) return ['partialFailure needs at least two events the batch action takes: pass partialFailure.events'];
  const harness = context.harness(context.responder(fixture.respond), fixture.settings ?? context.options.settings);
  const { results, requests, logs, denied } = await harness.runAction(name, events);
  context.captured.requests.push(...requests);
  context.captured.logs.push(...logs);
  context.captured.results.push(...results);
  context.captured.denied.push(...denied);
  const statuses = results.map((r) => r.status);
  if (fixture.expect) {
    const wrong = events.flatMap((e, i) =>
      statuses[i] === fixture.expect![i] ? [] : [`${describeEvent(e)}: expected "${fixture.expect![i]}", got ${describeResult(results[i]!)}`],
    );
    return wrong;
  }
  if (statuses.includes('ok') && statuses.some((s) => s !== 'ok')) return [];
  return [
    `action "${name}": expected some items "ok" and some failed, got ${statuses.join(', ')}: performBatch must return one result per item instead of failing (or passing) the whole batch`,
  ];
}

// The identities the default sample events carry, so a connector that stored them can find them.
const DEFAULT_SUBJECT = { user_id: 'user-1', anonymous_id: 'anon-1', email: 'jane.doe@example.com', phone: '+16505551212' };

/** A connector that keeps what it was sent in its own files or database, not behind an HTTP API. */
const keepsLocalData = (context: CheckContext) =>
  !context.usesHttp && context.deliverable.length > 0 && !context.options.sampleEvents && !context.options.deleteIdentities;

async function checkOnExport(context: CheckContext): Promise<string[]> {
  const identities = context.options.deleteIdentities ?? DEFAULT_SUBJECT;
  const problems: string[] = [];
  const attempt = async (failure: Responder | undefined, expected: ItemOutcome, label: string) => {
    const run = await context.harness(context.responder(failure)).runExport(identities);
    context.captured.requests.push(...run.requests);
    context.captured.logs.push(...run.logs);
    context.captured.denied.push(...run.denied);
    context.captured.results.push(run.result);
    if (run.result.status !== expected) problems.push(`onExport ${label}: expected "${expected}", got ${describeResult(run.result)}`);
    return run;
  };
  const { requests, records } = await attempt(undefined, 'ok', 'when the destination answers');
  const unsafe = records.findIndex((r) => !isDeepStrictEqual(JSON.parse(JSON.stringify(r)), r));
  if (unsafe !== -1) problems.push(`onExport record [${unsafe}] does not survive JSON (undefined, NaN or a class instance): return plain JSON values`);
  if (keepsLocalData(context) && records.length === 0) {
    problems.push(`onExport returned no record of the subject ${JSON.stringify(identities)} although the sample events that carry it were delivered`);
  }
  if (!context.usesHttp) return problems;
  if (requests.length === 0) {
    problems.push(`onExport made no request for the subject ${JSON.stringify(Object.keys(identities))}: pass deleteIdentities it can use`);
    return problems;
  }
  await attempt(() => ({ status: 503, body: SIMULATED }), 'retryable', 'answered 503');
  await attempt(() => ({ status: 401, body: SIMULATED }), 'authentication', 'answered 401');
  return problems;
}

async function checkOnDelete(context: CheckContext): Promise<string[]> {
  const identities = context.options.deleteIdentities ?? DEFAULT_SUBJECT;
  const problems: string[] = [];
  const attempt = async (failure: Responder | undefined, expected: ItemOutcome, label: string) => {
    const { result, requests, logs, denied } = await context.harness(context.responder(failure)).runDelete(identities);
    context.captured.requests.push(...requests);
    context.captured.logs.push(...logs);
    context.captured.denied.push(...denied);
    context.captured.results.push(result);
    if (result.status !== expected) problems.push(`onDelete ${label}: expected "${expected}", got ${describeResult(result)}`);
    return requests;
  };
  const requests = await attempt(undefined, 'ok', 'when the destination accepts it');
  if (!context.usesHttp) {
    if (context.connector.onExport && keepsLocalData(context)) {
      const left = (await context.harness(context.responder()).runExport(identities)).records;
      if (left.length)
        problems.push(
          `after onDelete, onExport still reads back ${left.length} record(s) of the subject (first from ${left[0]!.source}): erasure must remove what export finds`,
        );
    }
    return problems;
  }
  if (requests.length === 0) {
    problems.push(`onDelete made no request for the subject ${JSON.stringify(Object.keys(identities))}: pass deleteIdentities it can use`);
    return problems;
  }
  await attempt(() => ({ status: 503, body: SIMULATED }), 'retryable', 'answered 503');
  await attempt(() => ({ status: 401, body: SIMULATED }), 'authentication', 'answered 401');
  return problems;
}
