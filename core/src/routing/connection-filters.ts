import type { CanonicalEvent } from '@switchyard/sdk-kit';
import type { ConnectionFilterConfig } from '../config/schema/filters.js';
import { FILTER_KINDS } from '../config/schema/filters.js';
import { checkCondition, compileCondition, type ConditionTest } from '../rules/compile-condition.js';
import { fieldPathProblem } from '../rules/field-path.js';
import { isRemovable, keepPaths, KEPT_FIELDS, removePath, restoreContainers } from './field-edits.js';
import { isSampledIn } from './sampling.js';

/** Why a filter kept an event from a connection, as the trace and the counters name it. */
export type FilterReason = 'filter:drop' | 'filter:sample';

/** What a connection's filters make of an event: left out, or the event it receives (the same object when untouched). */
export type FilterOutcome = { kept: false; reason: FilterReason } | { kept: true; event: CanonicalEvent };

/** A connection's filters, compiled once per config. */
export interface ConnectionFilters {
  /** As written in the config, for change detection. */
  readonly rules: readonly ConnectionFilterConfig[];
  apply(event: CanonicalEvent): FilterOutcome;
}

type Step =
  | { kind: 'drop'; test: ConditionTest }
  | { kind: 'sample'; when?: ConditionTest; percent: number }
  | { kind: 'dropFields'; when?: ConditionTest; paths: string[][] }
  | { kind: 'keepFields'; when?: ConditionTest; paths: string[][] };

/**
 * Checks and compiles `connections[i].filters`; `at` is that JSON path. Problems name the path of each mistake;
 * the filters are returned only when there is none.
 */
export function compileConnectionFilters(
  rules: readonly ConnectionFilterConfig[] | undefined,
  at: string,
): { filters?: ConnectionFilters; problems: string[] } {
  if (!rules?.length) return { problems: [] };
  const problems: string[] = [];
  const steps = rules.flatMap((rule, i) => {
    const step = compileStep(rule, `${at}[${i}]`, problems);
    return step ? [step] : [];
  });
  if (problems.length) return { problems };
  return { filters: { rules, apply: (event) => applySteps(steps, event) }, problems };
}

function compileStep(rule: ConnectionFilterConfig, at: string, problems: string[]): Step | undefined {
  const condition = (input: unknown, path: string): ConditionTest | undefined => {
    const found = checkCondition(input, path);
    problems.push(...found);
    return found.length ? undefined : compileCondition(input);
  };
  const when = 'when' in rule && rule.when !== undefined ? condition(rule.when, `${at}.when`) : undefined;
  if ('drop' in rule) {
    const test = condition(rule.drop, `${at}.drop`);
    return test && { kind: 'drop', test };
  }
  if ('sample' in rule) return { kind: 'sample', when, percent: rule.sample.percent };
  if ('dropFields' in rule || 'keepFields' in rule) {
    const [kind, list] = 'dropFields' in rule ? (['dropFields', rule.dropFields] as const) : (['keepFields', rule.keepFields] as const);
    const paths = list.map((path, i) => {
      const problem = fieldPathProblem(path);
      if (problem) problems.push(`${at}.${kind}[${i}]: ${problem}`);
      // Ingestion refuses such keys, so no event has one; copying through it would write to Object.prototype.
      else if (path.split('.').includes('__proto__')) problems.push(`${at}.${kind}[${i}]: "${path}" names __proto__, which no event has`);
      else if (kind === 'dropFields' && !isRemovable(path)) {
        problems.push(
          `${at}.${kind}[${i}]: ${path} cannot be removed: ${KEPT_FIELDS.join(', ')} always stay (the queue, connectors and the privacy checks before delivery need them); shape what the destination gets with a mapping (docs/mapping.md)`,
        );
      }
      return path.split('.');
    });
    return { kind, when, paths };
  }
  problems.push(`${at}: names no filter; write one of ${FILTER_KINDS.join(', ')} (docs/filters.md)`);
  return undefined;
}

/** In order; each step sees what the steps before it left. The event is copied before its first change. */
function applySteps(steps: readonly Step[], original: CanonicalEvent): FilterOutcome {
  let event = original;
  for (const step of steps) {
    switch (step.kind) {
      case 'drop':
        if (step.test(event)) return { kept: false, reason: 'filter:drop' };
        break;
      case 'sample':
        if ((!step.when || step.when(event)) && !isSampledIn(event.messageId, step.percent)) return { kept: false, reason: 'filter:sample' };
        break;
      case 'dropFields':
        if (step.when && !step.when(event)) break;
        if (event === original) event = structuredClone(original);
        for (const path of step.paths) {
          removePath(event as unknown as Record<string, unknown>, path);
          // The source's original message carries the same field at the same path (Segment), so it goes too.
          if (event.raw && typeof event.raw === 'object') removePath(event.raw as Record<string, unknown>, path);
        }
        restoreContainers(event as unknown as Record<string, unknown>);
        break;
      case 'keepFields':
        if (step.when && !step.when(event)) break;
        event = structuredClone(keepPaths(event as unknown as Record<string, unknown>, step.paths)) as unknown as CanonicalEvent;
        restoreContainers(event as unknown as Record<string, unknown>);
        break;
    }
  }
  return { kept: true, event };
}
