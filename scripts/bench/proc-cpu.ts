import { readdirSync, readFileSync } from 'node:fs';

/** utime + stime of one process from /proc/<pid>/stat, in seconds (Linux); NaN when unreadable. */
function ownCpu(stat: string): { ppid: number; seconds: number } {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(fields[1]), seconds: (Number(fields[11]) + Number(fields[12])) / 100 };
}

/**
 * CPU seconds (user + system) from one /proc stat file: a process's (`/proc/<pid>/stat`) or one
 * thread's (`/proc/<pid>/task/<tid>/stat`); NaN when it cannot be read.
 */
export function statCpuSeconds(statFile: string): number {
  try {
    return ownCpu(readFileSync(statFile, 'utf8')).seconds;
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds (user + system) used so far by one process; NaN when it cannot be read. */
export const processCpuSeconds = (pid: number | undefined): number => statCpuSeconds(`/proc/${pid}/stat`);

/**
 * CPU seconds (user + system) used so far by a process and its direct children: nginx's
 * master and workers, or the proxy's primary and its cluster workers. Children that already
 * exited are not counted (their time is only in the parent's cutime), so read it while
 * everything runs.
 */
export function treeCpuSeconds(pid: number): number {
  let total = 0;
  let found = false;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const own = ownCpu(stat);
    if (Number(entry) === pid) found = true;
    if (Number(entry) === pid || own.ppid === pid) total += own.seconds;
  }
  return found ? total : Number.NaN;
}

/** Peak resident memory (VmHWM) of one process so far, in MiB; NaN when it cannot be read. */
export function peakRssMiB(pid: number | undefined): number {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? Number.NaN : Number(kb) / 1024;
  } catch {
    return Number.NaN;
  }
}
