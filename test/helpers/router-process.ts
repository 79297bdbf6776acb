import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Router, silentLogger, type SwitchyardConfig } from '@switchyard/core';

/** Starts the real router on a free port over a config written to a temp dir; `close()` removes it all. */
export async function startRouter(config: Omit<SwitchyardConfig, 'storage' | 'server'>): Promise<{ router: Router; dir: string; close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-e2e-'));
  const configFile = join(dir, 'switchyard.yaml');
  writeFileSync(configFile, stringify({ storage: { dir: './storage' }, ...config }));
  const router = await Router.start({ configFile, log: silentLogger, port: 0, watchConfig: false });
  return {
    router,
    dir,
    close: async () => {
      await router.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
