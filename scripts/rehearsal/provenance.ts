import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { repoRoot } from '../../lib/component-process.ts';

/**
 * Where a rehearsal's figures came from, for its report: two reports compare only when these
 * match (or their differences explain the figures). The load average is read at the start and
 * at the end: a busy machine is the first suspect for a latency gate.
 */
export function provenance(options: { seed: number; loadAtStart: number[] }): Record<string, string> {
  let commit = 'unknown (not a git checkout)';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: repoRoot,
      encoding: 'utf8',
    }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: repoRoot,
      encoding: 'utf8',
    }).trim();
    if (dirty) commit += ' (with uncommitted changes)';
  } catch {
    // no git: the commit stays unknown
  }
  const cpus = os.cpus();
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  return {
    commit,
    'seed scale': process.env.STRANGLER_SEED_SCALE ?? '1 (default)',
    'load seed': String(options.seed),
    machine: `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    'load average (1, 5, 15 min)': `${load(options.loadAtStart)} at the start, ${load(os.loadavg())} at the end`,
  };
}
