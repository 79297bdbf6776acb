import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseDocument } from 'yaml';
import { createSchemaValidator, describeSchemaErrors } from '@switchyard/sdk-kit';
import { describeConditionError, isConditionError } from '../rules/condition-errors.js';
import { describeRuleErrors, type RuleLocator } from './audience-rule-errors.js';
import { CONFIG_SCHEMA } from './config-schema.js';
import type { SwitchyardConfig } from './config-types.js';

/** Every problem found in a configuration, each naming its path; nothing runs until the list is empty. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file} is not a valid Switchyard configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

const validateConfig = createSchemaValidator().compile(CONFIG_SCHEMA);

/** Reads a YAML or JSON config file, substitutes `${ENV_VAR}`s and validates it against the published schema. */
export function readConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): SwitchyardConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [`cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); check the --config path`]);
  }
  return parseConfigText(text, file, env);
}

export function parseConfigText(text: string, file: string, env: NodeJS.ProcessEnv = process.env): SwitchyardConfig {
  const parsed = extname(file) === '.json' ? parseJson(text, file) : parseYaml(text, file);
  const problems: string[] = [];
  const substituted = substituteEnv(parsed, '', env, problems);
  if (problems.length) throw new ConfigError(file, problems);
  if (!validateConfig(substituted)) {
    const errors = (validateConfig.errors ?? []).filter((e) => e.keyword !== 'if' && e.keyword !== 'oneOf');
    const rules = describeRuleErrors(errors, audienceRuleOf(substituted));
    const others = rules.rest.map((e) => (isConditionError(e) ? describeConditionError(e) : withoutLeadingDot(describeSchemaErrors([e], '')[0]!)));
    throw new ConfigError(file, dedupe([...others, ...rules.lines]));
  }
  return substituted as SwitchyardConfig;
}

/** Errors inside `audiences[n].rule` are worded by the audience rule language. */
function audienceRuleOf(config: unknown): RuleLocator {
  return (instancePath) => {
    const match = /^\/audiences\/(\d+)\/rule(?=\/|$)/.exec(instancePath);
    if (!match) return undefined;
    const audiences = (config as { audiences?: Array<{ rule?: unknown }> }).audiences;
    return { rule: audiences?.[Number(match[1])]?.rule, root: match[0] };
  };
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(file, [`not valid JSON: ${(error as Error).message}`]);
  }
}

function parseYaml(text: string, file: string): unknown {
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length) {
    throw new ConfigError(
      file,
      document.errors.map((e) => `not valid YAML at line ${e.linePos?.[0]?.line ?? '?'}: ${e.message.split('\n')[0]}`),
    );
  }
  return document.toJS() ?? {};
}

const ENV_REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** `${NAME}` and `${NAME:-default}` in any string value; a missing variable is a config error naming its path. */
function substituteEnv(value: unknown, path: string, env: NodeJS.ProcessEnv, problems: string[]): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REFERENCE, (_whole, name: string, fallback: string | undefined) => {
      const found = env[name];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      problems.push(`${path || '(root)'}: environment variable ${name} is not set; export it or use \${${name}:-default}`);
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => substituteEnv(item, `${path}[${i}]`, env, problems));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substituteEnv(item, path ? `${path}.${key}` : key, env, problems)]));
  }
  return value;
}

function withoutLeadingDot(line: string): string {
  return line.replace(/^\./, '') || line;
}

function dedupe(lines: string[]): string[] {
  return [...new Set(lines)];
}
