import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as sdkKit from '@switchyard/sdk-kit';
import type { AnyConnector } from '@switchyard/sdk-kit';
import { loadConnector } from '../connectors/connector-registry.js';
import { installedConnectorPackages } from './installed-connectors.js';

interface Loaded { spec: string; connector?: AnyConnector; error?: string }

async function loadInstalled(): Promise<Loaded[]> {
  return Promise.all(installedConnectorPackages(process.cwd()).map(async (spec) => {
    try {
      return { spec, connector: (await loadConnector(spec, process.cwd())).connector };
    } catch (error) {
      return { spec, error: (error as Error).message };
    }
  }));
}

export async function runConnectorsList(options: { json?: boolean }): Promise<void> {
  const loaded = await loadInstalled();
  if (options.json) {
    const out = loaded.map(({ spec, connector, error }) => (connector
      ? { package: spec, name: connector.name, version: connector.version, category: connector.category, settings: connector.settings, actions: Object.keys(connector.actions ?? {}) }
      : { package: spec, error }));
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return;
  }
  for (const { spec, connector, error } of loaded) {
    if (!connector) { process.stdout.write(`${spec}\n  not loadable: ${error}\n\n`); continue; }
    process.stdout.write(`${connector.name} ${connector.version}  [${connector.category}]  (${spec})\n`);
    if (connector.description) process.stdout.write(`  ${connector.description}\n`);
    const schema = connector.settings as { properties?: Record<string, { type?: string; secret?: boolean; description?: string }>; required?: string[] };
    for (const [name, field] of Object.entries(schema.properties ?? {})) {
      const flags = [schema.required?.includes(name) ? 'required' : 'optional', field.secret ? 'secret' : ''].filter(Boolean).join(', ');
      process.stdout.write(`  settings.${name}: ${field.type ?? 'any'} (${flags})${field.description ? ` — ${field.description}` : ''}\n`);
    }
    process.stdout.write(`  actions: ${Object.keys(connector.actions ?? {}).join(', ') || '(enrichment)'}\n\n`);
  }
}

type DocsRenderer = (connector: AnyConnector) => string;

export async function runConnectorsDocs(options: { out: string }): Promise<void> {
  const render = (sdkKit as unknown as { renderConnectorDocs?: DocsRenderer }).renderConnectorDocs;
  if (!render) throw new Error('this @switchyard/sdk-kit has no renderConnectorDocs; update it');
  const out = resolve(options.out);
  mkdirSync(out, { recursive: true });
  for (const { spec, connector, error } of await loadInstalled()) {
    if (!connector) { process.stderr.write(`skipped ${spec}: ${error}\n`); continue; }
    const file = join(out, `${connector.name}.md`);
    writeFileSync(file, render(connector));
    process.stdout.write(`wrote ${file}\n`);
  }
}

type Scaffolder = (options: { name: string; directory: string }) => Promise<unknown> | unknown;

export async function runConnectorInit(name: string, options: { dir?: string }): Promise<void> {
  const scaffold = (sdkKit as unknown as { scaffoldConnector?: Scaffolder }).scaffoldConnector;
  if (!scaffold) throw new Error('this @switchyard/sdk-kit has no scaffoldConnector; update it');
  const directory = resolve(options.dir ?? name);
  await scaffold({ name, directory });
  process.stdout.write(`created connector "${name}" in ${directory}\nnext: cd ${directory} && npm install && npm test\n`);
}
