import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = join(fileURLToPath(new URL('../../', import.meta.url)), 'cli/bin/switchyard.js');

/** A `switchyard start` child process, up and listening. */
export interface CliRouter {
  url: string;
  /** The router's own PID, as its start banner prints it. */
  pid: number;
  /** Everything it printed so far, stdout and stderr in the order they came. */
  output: () => string;
  waitForOutput: (pattern: RegExp, what: string, timeoutMs?: number) => Promise<void>;
  /** Sends SIGTERM to the router and resolves with the exit code. */
  stop: () => Promise<number | null>;
}

const quote = (arg: string) => `'${arg.replaceAll("'", "'\\''")}'`;

/**
 * Starts `switchyard start --config <file> --port 0`. With `tty`, under util-linux `script`, so that the router's
 * stdout and stderr are a real pseudo-terminal (what `process.stdout.isTTY` sees when an operator runs it).
 */
export async function startCliRouter(configFile: string, options: { cwd: string; tty?: boolean; env?: NodeJS.ProcessEnv }): Promise<CliRouter> {
  const args = [BIN, 'start', '--config', configFile, '--port', '0'];
  const env = { ...process.env, ...options.env };
  const child: ChildProcess = options.tty
    ? spawn('script', ['-qfec', [process.execPath, ...args].map(quote).join(' '), '/dev/null'], { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, args, { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const wakes = new Set<() => void>();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      for (const wake of wakes) wake();
    });
  }
  const waitForOutput = async (pattern: RegExp, what: string, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    let gone = false;
    void exited.then(() => (gone = true));
    while (!pattern.test(output)) {
      if (gone) throw new Error(`switchyard exited before printing ${what}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${output}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, 250);
        wakes.add(done);
        function done() {
          clearTimeout(timer);
          wakes.delete(done);
          resolve();
        }
      });
    }
  };
  try {
    // A loaded machine (other test runs, compilers) can take well over 20 s to start one.
    await waitForOutput(/Switchyard listening on http:\/\/\S+ {2}\(PID \d+/, 'its start banner', 60_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const [, url, pid] = /Switchyard listening on (http:\/\/\S+) {2}\(PID (\d+)/.exec(output)!;
  return {
    url: url!,
    pid: Number(pid),
    output: () => output,
    waitForOutput,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) process.kill(Number(pid), 'SIGTERM');
      return exited;
    },
  };
}
