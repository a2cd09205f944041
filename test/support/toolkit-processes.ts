import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { initialEnvironment } from '../../lib/supervisor-link.ts';

/**
 * Finds every process a test started, however deep (npm, sh, tsx, up.ts, the seed, each
 * component, the proxy's workers): the test sets a marker variable with a fresh value in the
 * environment it starts things with, every descendant inherits it, and /proc/<pid>/environ
 * shows it. A process that exits or is a zombie no longer counts.
 */
export const markerName = 'STRANGLER_TEST_RUN';

export function newMarker(): string {
  return randomBytes(6).toString('hex');
}

export interface MarkedProcess {
  pid: number;
  command: string;
}

async function state(pid: number): Promise<string | undefined> {
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

export async function markedProcesses(marker: string): Promise<MarkedProcess[]> {
  const found: MarkedProcess[] = [];
  for (const entry of await fs.readdir('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const env = await initialEnvironment(pid);
    if (env?.get(markerName) !== marker) continue;
    const st = await state(pid);
    if (st === undefined || st === 'Z' || st === 'X') continue;
    let command = '';
    try {
      command = (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ').trim();
    } catch {
      continue;
    }
    found.push({ pid, command });
  }
  return found;
}

/** Polls until no marked process is left; resolves with what was still there at the deadline. */
export async function waitForNoneLeft(marker: string, timeoutMs: number): Promise<MarkedProcess[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = await markedProcesses(marker);
    if (left.length === 0 || Date.now() >= deadline) return left;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A test's cleanup: SIGKILLs whatever it left, so a failing test cannot leak processes. */
export async function killMarked(marker: string): Promise<number> {
  const left = await markedProcesses(marker);
  for (const p of left) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return left.length;
}
