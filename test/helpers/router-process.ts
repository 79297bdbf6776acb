import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Router, silentLogger, type ReloadResult, type SwitchyardConfig } from '@switchyard/core';

type E2eConfig = Omit<SwitchyardConfig, 'storage' | 'server'>;

/**
 * Starts the real router on a free port over a config written to a temp dir; `reload()` writes a new config there and
 * reloads it, `close()` removes it all.
 */
export async function startRouter(
  config: E2eConfig,
): Promise<{ router: Router; dir: string; reload: (next: E2eConfig) => Promise<ReloadResult>; close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-e2e-'));
  const configFile = join(dir, 'switchyard.yaml');
  const write = (next: E2eConfig) => writeFileSync(configFile, stringify({ storage: { dir: './storage' }, ...next }));
  write(config);
  const router = await Router.start({ configFile, log: silentLogger, port: 0, watchConfig: false });
  return {
    router,
    dir,
    reload: (next) => {
      write(next);
      return router.reload();
    },
    close: async () => {
      await router.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
