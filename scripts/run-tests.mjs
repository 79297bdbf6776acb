// `npm test`: every workspace's tests through turbo, then one closing line CI can read:
// "N passed, N failed". The exit code is turbo's.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const workspaces = JSON.parse(readFileSync('package.json', 'utf8')).workspaces;
const resultFiles = () =>
  workspaces.flatMap((pattern) => {
    if (!pattern.endsWith('/*')) return [join(pattern, '.jest-results.json')];
    const dir = pattern.slice(0, -2);
    return existsSync(dir)
      ? spawnSync('ls', [dir], { encoding: 'utf8' })
          .stdout.trim()
          .split('\n')
          .filter(Boolean)
          .map((name) => join(dir, name, '.jest-results.json'))
      : [];
  });

for (const file of resultFiles()) rmSync(file, { force: true });
const run = spawnSync('npx', ['turbo', 'run', 'test', '--concurrency=1', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
});

let passed = 0;
let failed = 0;
for (const file of resultFiles()) {
  if (!existsSync(file)) continue;
  const results = JSON.parse(readFileSync(file, 'utf8'));
  passed += results.numPassedTests;
  failed += results.numFailedTests + (results.numRuntimeErrorTestSuites ?? 0);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(run.status ?? 1);
