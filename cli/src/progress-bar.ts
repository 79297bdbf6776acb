/** The one progress bar of the CLI's long commands (`replay`, `audiences backfill|reconcile`). */
import cliProgress from 'cli-progress';

export type ProgressBar = cliProgress.SingleBar;

/**
 * A bar on stderr in `format` (cli-progress tokens: `{bar}`, `{value}`, `{total}`, `{eta_formatted}` and the
 * payload's own), or undefined when stderr is not a terminal: a log or a pipe gets no redraw sequences.
 */
export function terminalProgressBar(format: string): ProgressBar | undefined {
  if (process.stderr.isTTY !== true) return undefined;
  return new cliProgress.SingleBar({ stream: process.stderr, format, hideCursor: true }, cliProgress.Presets.shades_classic);
}
