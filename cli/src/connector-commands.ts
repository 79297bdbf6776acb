import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AnyConnector } from '@switchyard/sdk-kit';
import { renderConnectorDocs } from '@switchyard/sdk-kit/docs';
import { defaultDirectory, describeScaffold, scaffoldConnector } from '@switchyard/sdk-kit/scaffold';
import { installedConnectorPackages, loadConnector } from '@switchyard/core';
import { CONNECTOR_DIRS } from './connector-dirs.js';

interface Loaded {
  spec: string;
  connector?: AnyConnector;
  error?: string;
}

async function loadInstalled(): Promise<Loaded[]> {
  return Promise.all(
    installedConnectorPackages(process.cwd(), CONNECTOR_DIRS).map(async (spec) => {
      try {
        return { spec, connector: (await loadConnector(spec, process.cwd(), CONNECTOR_DIRS)).connector };
      } catch (error) {
        return { spec, error: (error as Error).message };
      }
    }),
  );
}

export async function runConnectorsList(options: { json?: boolean }): Promise<void> {
  const loaded = await loadInstalled();
  if (options.json) {
    const out = loaded.map(({ spec, connector, error }) =>
      connector
        ? {
            package: spec,
            name: connector.name,
            version: connector.version,
            category: connector.category,
            settings: connector.settings,
            actions: Object.keys(connector.actions ?? {}),
          }
        : { package: spec, error },
    );
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return;
  }
  for (const { spec, connector, error } of loaded) {
    if (!connector) {
      process.stdout.write(`${spec}\n  not loadable: ${error}\n\n`);
      continue;
    }
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

export async function runConnectorsDocs(names: string[], options: { out: string }): Promise<void> {
  const out = resolve(options.out);
  mkdirSync(out, { recursive: true });
  const wanted = (loaded: Loaded) => names.length === 0 || names.includes(loaded.connector?.name ?? '') || names.includes(loaded.spec);
  for (const loaded of (await loadInstalled()).filter(wanted)) {
    const { spec, connector, error } = loaded;
    if (!connector) {
      process.stderr.write(`skipped ${spec}: ${error}\n`);
      continue;
    }
    const file = join(out, `${connector.name}.md`);
    writeFileSync(file, renderConnectorDocs(connector));
    process.stdout.write(`wrote ${file}\n`);
  }
}

export async function runConnectorInit(name: string, options: { dir?: string; sdkKit?: string }): Promise<void> {
  const directory = resolve(options.dir ?? defaultDirectory(name));
  process.stdout.write(describeScaffold(name, scaffoldConnector({ name, directory, sdkKitRange: options.sdkKit })));
}
