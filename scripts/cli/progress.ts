import cliProgress from 'cli-progress';

/**
 * A progress bar on stderr for long work (load runs, rehearsal stages). Off when stderr is not
 * a terminal (CI, tests) so logs stay readable; the callers print figures either way.
 */
export interface Progress {
  update(value: number, payload?: Record<string, unknown>): void;
  stop(): void;
}

export function progressBar(label: string, total: number, unit: string): Progress {
  if (!process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      format: `${label.padEnd(14)} [{bar}] {percentage}% | {value}/{total} ${unit} | {info}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { info: '' });
  return {
    update: (value, payload) => bar.update(Math.min(value, total), payload),
    stop: () => bar.stop(),
  };
}
