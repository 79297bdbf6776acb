import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HttpSink } from '../helpers/http-sink.js';

const SCRIPT = fileURLToPath(new URL('../fixtures/scripts/deliver-once.mjs', import.meta.url));
const API_KEY = 'sk_live_0a1b2c3d4e5f6789';

function runToCompletion(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out; stdout so far:\n${stdout}\n${stderr}`));
    }, 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('secrets in logs', () => {
  it('never writes a connection secret to the logs, from the router or from connector code in a worker', async () => {
    const sink = await new HttpSink().start();
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-redaction-'));
    try {
      const { code, stdout, stderr } = await runToCompletion([dir, sink.url, API_KEY]);
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      expect(sink.messageIds()).toEqual(['m-1']);
      // The connector logged its settings and interpolated the key into its message; the router logged its config.
      const lines = stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.some((l) => l.msg === 'sending with key [REDACTED]')).toBe(true);
      expect(lines.some((l) => l.msg === 'configured leaky with [REDACTED]')).toBe(true);
      expect(stdout).not.toContain(API_KEY);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await sink.stop();
    }
  });

  it('hands the configured log level to connector code in the workers', async () => {
    const sink = await new HttpSink().start();
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-log-level-'));
    try {
      const { code, stdout } = await runToCompletion([dir, sink.url, API_KEY, 'warn']);
      expect(code).toBe(0);
      expect(sink.messageIds()).toEqual(['m-1']);
      const lines = stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      // The router's own info line stays (its logger is at debug); the connector's info line is below warn.
      expect(lines.some((l) => l.msg === 'configured leaky with [REDACTED]')).toBe(true);
      expect(lines.filter((l) => l.connector === 'misbehaving')).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await sink.stop();
    }
  });
});
