// A real `switchyard start` process for the benchmarks, up and listening on a free port.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../cli/bin/switchyard.js', import.meta.url));
const BANNER = /Switchyard listening on (http:\/\/\S+) {2}\(PID (\d+)/;

/** Starts the router on `configFile` (cwd `dir`); resolves with its url and pid, and `stop()` (SIGTERM, then exit). */
export function startRouterProcess(configFile, dir, timeoutMs = 60_000) {
  const child = spawn(process.execPath, [BIN, 'start', '--config', configFile, '--port', '0'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let started = false;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`the router did not start within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const fail = (error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    const onEarlyExit = (code) => fail(new Error(`the router exited (${code}) before listening:\n${output}`));
    child.once('exit', onEarlyExit);
    // Keeps draining the output after the banner, so a chatty router never blocks on a full pipe.
    const onData = (chunk) => {
      output = (output + chunk.toString()).slice(-65_536);
      const match = started ? null : BANNER.exec(output);
      if (!match) return;
      started = true;
      clearTimeout(timer);
      child.off('exit', onEarlyExit);
      resolve({
        url: match[1],
        pid: Number(match[2]),
        output: () => output,
        stop: () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          return exited;
        },
      });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
  });
}
