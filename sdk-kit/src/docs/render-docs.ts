import type { AnyAction, AnyAudience, AnyConnector, ConnectorDefinition } from '../define-connector.js';

type SchemaNode = {
  type?: unknown;
  const?: unknown;
  enum?: unknown[];
  anyOf?: SchemaNode[];
  items?: SchemaNode;
  format?: string;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  additionalProperties?: unknown;
  patternProperties?: Record<string, SchemaNode>;
  secret?: boolean;
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  pattern?: string;
};

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/\r?\n/g, ' ');
const code = (value: unknown) => `\`${JSON.stringify(value)}\``;

/** A short human type for a schema: `string (uri)`, `"POST" \| "PUT"`, `array of string`, `integer 1–1000`. */
export function describeSchemaType(node: SchemaNode): string {
  if (node.const !== undefined) return JSON.stringify(node.const);
  if (node.enum) return node.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (node.anyOf) return node.anyOf.map(describeSchemaType).join(' | ');
  if (node.type === 'array') return `array of ${node.items ? describeSchemaType(node.items) : 'any'}`;
  if (node.type === 'object' && !node.properties && (node.patternProperties || node.additionalProperties)) {
    const values =
      Object.values(node.patternProperties ?? {})[0] ?? (typeof node.additionalProperties === 'object' ? (node.additionalProperties as SchemaNode) : undefined);
    return values ? `map of ${describeSchemaType(values)}` : 'object';
  }
  const base = Array.isArray(node.type) ? node.type.join(' | ') : String(node.type ?? 'any');
  const range = node.minimum !== undefined || node.maximum !== undefined ? ` ${node.minimum ?? ''}–${node.maximum ?? ''}` : '';
  return `${base}${node.format ? ` (${node.format})` : ''}${range}`;
}

function settingsRows(schema: SchemaNode, prefix = ''): string[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).flatMap(([name, node]) => [
    `| \`${prefix}${name}\` | ${cell(describeSchemaType(node))} | ${required.has(name) && node.default === undefined ? 'yes' : 'no'} | ${node.secret ? 'yes' : 'no'} | ${node.default === undefined ? '' : cell(code(node.default))} | ${cell(node.description ?? '')} |`,
    ...(node.properties ? settingsRows(node, `${prefix}${name}.`) : []),
  ]);
}

function renderAction(name: string, action: AnyAction): string[] {
  const { types, where } = action.subscribe;
  const lines = [`### ${action.title ?? name} (\`${name}\`)`, ''];
  if (action.description) lines.push(action.description, '');
  lines.push(
    `- Subscribes to: ${types === 'all' ? 'all event types' : types.map((t) => `\`${t}\``).join(', ')}${where ? ' (narrowed by a filter in code)' : ''}`,
  );
  lines.push(
    `- Batching: ${action.performBatch ? `yes${action.batch ? `, up to ${action.batch.maxItems} events per request` : ''}${action.batchWhen ? ' (when the settings turn it on)' : ''}` : 'no, one request per event'}`,
  );
  lines.push('', 'Default mapping (operators can override any field):', '', '```json', JSON.stringify(action.defaultMapping, null, 2), '```', '');
  return lines;
}

function renderAudience(audience: AnyAudience): string[] {
  const { identifiers } = audience;
  const accepted =
    identifiers === 'all'
      ? 'every identifier the person has (`profile_id` included)'
      : typeof identifiers === 'function'
        ? "computed from the connection's and the sync's settings"
        : identifiers.map((t) => `\`${t}\``).join(', ');
  const lines = [
    '## Audience syncs',
    '',
    'Keeps audiences in step: each person entering an audience is added, each person leaving it is removed.',
    '',
    `- Identifiers (in order of preference): ${accepted}. A person with none of them is counted as unmatched and not sent.`,
    `- Members per call: up to ${audience.maxMembersPerCall}.`,
    `- Advertising destination: ${audience.advertising ? 'yes, advertising consent applies' : 'no'}.`,
    '',
  ];
  const schema = audience.syncSettings as SchemaNode | undefined;
  if (schema?.properties && Object.keys(schema.properties).length) {
    lines.push('Settings of each sync:', '', '| Setting | Type | Required | Secret | Default | Description |', '| --- | --- | --- | --- | --- | --- |');
    lines.push(...settingsRows(schema), '');
  } else lines.push('A sync has no settings of its own.', '');
  return lines;
}

const listOrComputed = (value: readonly string[] | ((s: never) => readonly string[]) | undefined, what: string) => {
  if (value === undefined) return [`None declared.`];
  if (typeof value === 'function') return [`Computed from the connection's settings (${what}).`];
  return value.length ? value.map((v) => `- \`${v}\``) : ['None.'];
};

/** Markdown reference for a connector: settings, actions and default mappings, audience syncs, egress, regions, limits, erasure, access. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function renderConnectorDocs(definition: ConnectorDefinition<any, any, any>): string {
  const connector = definition as AnyConnector;
  const lines: string[] = [`# ${connector.name}`, ''];
  lines.push(`- Category: ${connector.category}`, `- Version: ${connector.version}`, '');
  if (connector.description) lines.push(connector.description, '');

  lines.push('## Settings', '', '| Setting | Type | Required | Secret | Default | Description |', '| --- | --- | --- | --- | --- | --- |');
  lines.push(...settingsRows(connector.settings as SchemaNode), '');

  const actions = Object.entries(connector.actions ?? {}) as [string, AnyAction][];
  if (actions.length) {
    lines.push('## Actions', '');
    for (const [name, action] of actions) lines.push(...renderAction(name, action));
  }
  if (connector.enrichment) {
    const { types } = connector.enrichment.subscribe;
    lines.push(
      '## Enrichment',
      '',
      `Adds its result at \`${connector.enrichment.target}\` for ${types === 'all' ? 'all event types' : types.map((t) => `\`${t}\``).join(', ')}, before fan-out.`,
      '',
    );
  }

  if (connector.audience) lines.push(...renderAudience(connector.audience));

  lines.push(
    '## Egress hosts',
    '',
    'The only hosts this connector may call:',
    '',
    ...listOrComputed(connector.egress, 'the hosts of the URLs you configure'),
    '',
  );
  lines.push('## Regions', '', ...listOrComputed(connector.regions, 'the region you configure'), '');

  const defaults = connector.defaults ?? {};
  lines.push('## Rate limits and delivery defaults', '');
  const rows: Array<[string, number | undefined]> = [
    ['Requests per second', defaults.ratePerSecond],
    ['Concurrent requests', defaults.maxConcurrency],
    ['Request timeout (ms)', defaults.requestTimeoutMs],
    ['Worker threads', defaults.maxWorkers],
  ];
  const set = rows.filter(([, v]) => v !== undefined);
  if (set.length)
    lines.push('| Limit | Default |', '| --- | --- |', ...set.map(([k, v]) => `| ${k} | ${v} |`), '', 'Override them per connection in the configuration.', '');
  else lines.push("The router's defaults apply; override them per connection in the configuration.", '');
  if (connector.ordering === 'per-user')
    lines.push("Ordering: one user's events reach the destination in the order they were queued (the connection runs one worker thread).", '');

  lines.push(
    '## Data-subject erasure',
    '',
    connector.onDelete
      ? 'Supported: an erasure request (DSR) is forwarded to the destination through `onDelete`.'
      : 'Not supported: erasure requests are not forwarded to this destination; delete the user there yourself.',
    '',
  );
  lines.push(
    '## Data-subject access',
    '',
    connector.onExport
      ? 'Supported: an access or portability request (DSR) includes what `onExport` reads back from the destination.'
      : 'Not supported: access and portability exports do not include what this destination holds; ask the vendor for it.',
    '',
  );
  return lines.join('\n');
}
