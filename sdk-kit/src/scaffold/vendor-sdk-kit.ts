import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where this kit's package.json lives: a checkout's `sdk-kit/` or an installed `node_modules/@switchyard/sdk-kit`. */
export const SDK_KIT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Packs this sdk-kit with `npm pack` (so the tarball holds exactly what publishing would) into
 * `<packageDir>/vendor/`, and returns the tarball's path relative to `packageDir`.
 */
export function packSdkKit(packageDir: string): string {
  const vendor = join(packageDir, 'vendor');
  mkdirSync(vendor, { recursive: true });
  let output: string;
  try {
    output = execFileSync('npm', ['pack', SDK_KIT_ROOT, '--pack-destination', vendor, '--json', '--silent'], {
      cwd: packageDir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: process.platform === 'win32',
    });
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string };
    throw new Error(
      `could not pack @switchyard/sdk-kit from ${SDK_KIT_ROOT} into ${vendor}: ${(stderr || message).trim()}\n` +
        'check that npm is on your PATH and that the kit is built (npm run build in the Switchyard checkout), ' +
        'or depend on a published sdk-kit instead with --sdk-kit <range>',
    );
  }
  const [packed] = JSON.parse(output) as Array<{ filename: string }>;
  return `vendor/${packed!.filename}`;
}
