import type { ValidateFunction } from 'ajv';
import { createSchemaValidator, describeSchemaErrors, type CanonicalEvent } from '@switchyard/sdk-kit';
import type { DataPlanConfig } from '../config/config-types.js';
import { matchOf, type PlanMatch } from './plan-match.js';

/** What a data plan found wrong with one event. */
export interface PlanViolation {
  kind: 'unplanned_event' | 'unplanned_event_attribute' | 'unplanned_user_attribute' | 'invalid_data';
  /** JSON path in the canonical event, e.g. `properties.color`. */
  path: string;
  message: string;
}

export interface PlanVerdict {
  /** The event to forward (attributes may have been removed), or undefined when the whole event is blocked. */
  event?: CanonicalEvent;
  violations: PlanViolation[];
  /** What was removed: whole event, or attribute paths and their values. */
  blocked: { event: boolean; attributes: Record<string, unknown> };
}

interface CompiledPoint {
  match: PlanMatch;
  validate?: ValidateFunction;
  /** Attribute names the point plans for (`data.custom_attributes.properties`), when it lists them. */
  plannedAttributes?: Set<string>;
  allowsOtherAttributes: boolean;
}

export interface DataPlan {
  id: string;
  version?: number;
  quarantine?: string;
  evaluate(event: CanonicalEvent): PlanVerdict;
}

const ajv = createSchemaValidator();

/**
 * Compiles an mParticle-format data plan (`data_points` with `match` {type, criteria} and a JSON Schema
 * `validator.definition`) once. Works on canonical events, so it applies to Segment sources too: a
 * `track` matches `custom_event` by name, `screen`/`page` match `screen_view`, `commerce` matches
 * `commerce_event` by action, and traits are checked against the `user_attributes` point.
 */
export function compileDataPlan(config: DataPlanConfig & { document: unknown }): DataPlan {
  const doc = config.document as { data_points?: unknown; version_document?: { data_points?: unknown } } | undefined;
  const points = doc?.version_document?.data_points ?? doc?.data_points;
  if (!Array.isArray(points)) throw new Error("the data plan has no data_points array (expected mParticle's data plan format)");
  const events: CompiledPoint[] = [];
  let userAttributes: CompiledPoint | undefined;
  points.forEach((point: { match?: PlanMatch; validator?: { definition?: Record<string, unknown> } }, i) => {
    if (!point?.match?.type) throw new Error(`data_points[${i}].match.type is missing`);
    const definition = point.validator?.definition;
    let validate: ValidateFunction | undefined;
    try {
      validate = definition ? ajv.compile(definition) : undefined;
    } catch (error) {
      throw new Error(`data_points[${i}].validator.definition is not a valid JSON Schema: ${(error as Error).message}`);
    }
    const attributesSchema =
      point.match.type === 'user_attributes'
        ? definition
        : (definition?.properties as { data?: { properties?: { custom_attributes?: Record<string, unknown> } } } | undefined)?.data?.properties
            ?.custom_attributes;
    const listed = attributesSchema?.properties as Record<string, unknown> | undefined;
    const compiled: CompiledPoint = {
      match: point.match,
      validate,
      plannedAttributes: listed ? new Set(Object.keys(listed)) : undefined,
      allowsOtherAttributes: attributesSchema?.additionalProperties !== false,
    };
    if (point.match.type === 'user_attributes') userAttributes = compiled;
    else events.push(compiled);
  });
  const block = config.block ?? {};

  return {
    id: config.id,
    version: config.version,
    quarantine: config.quarantine,
    evaluate(original) {
      const violations: PlanViolation[] = [];
      const blocked: PlanVerdict['blocked'] = { event: false, attributes: {} };
      const event = structuredClone(original);
      const match = matchOf(event);
      if (match) {
        const point = events.find((p) => sameMatch(p.match, match));
        if (!point) {
          violations.push({ kind: 'unplanned_event', path: '$', message: `${match.type} ${JSON.stringify(match.criteria)} is not in the plan` });
          if (block.unplannedEvents) return { violations, blocked: { event: true, attributes: {} } };
        } else {
          checkAttributes(event.properties, 'properties', point, 'unplanned_event_attribute', block.unplannedEventAttributes, violations, blocked);
          if (point.validate && !point.validate({ data: { ...match.criteria, custom_attributes: event.properties } })) {
            violations.push(
              ...describeSchemaErrors(point.validate.errors, '').map((m) => ({
                kind: 'invalid_data' as const,
                path: m.split(':')[0]!.replace(/^\.?data\.custom_attributes/, 'properties'),
                message: m,
              })),
            );
          }
        }
      }
      if (userAttributes && Object.keys(event.traits).length > 0) {
        checkAttributes(event.traits, 'traits', userAttributes, 'unplanned_user_attribute', block.unplannedUserAttributes, violations, blocked);
        if (userAttributes.validate && !userAttributes.validate(event.traits)) {
          violations.push(
            ...describeSchemaErrors(userAttributes.validate.errors, 'traits').map((m) => ({
              kind: 'invalid_data' as const,
              path: m.split(':')[0]!,
              message: m,
            })),
          );
        }
      }
      return { event, violations, blocked };
    },
  };
}

function checkAttributes(
  attributes: Record<string, unknown>,
  at: string,
  point: CompiledPoint,
  kind: PlanViolation['kind'],
  blocking: boolean | undefined,
  violations: PlanViolation[],
  blocked: PlanVerdict['blocked'],
): void {
  if (!point.plannedAttributes || point.allowsOtherAttributes) return;
  for (const name of Object.keys(attributes)) {
    if (point.plannedAttributes.has(name)) continue;
    violations.push({ kind, path: `${at}.${name}`, message: `${at}.${name} is not planned` });
    if (blocking) {
      blocked.attributes[`${at}.${name}`] = attributes[name];
      delete attributes[name];
    }
  }
}

function sameMatch(planned: PlanMatch, actual: PlanMatch): boolean {
  if (planned.type !== actual.type) return false;
  // A criterion the source cannot report (Segment has no custom_event_type) does not exclude a match.
  return Object.entries(planned.criteria ?? {}).every(
    ([key, value]) => actual.criteria?.[key] === undefined || String(actual.criteria[key]).toLowerCase() === String(value).toLowerCase(),
  );
}
