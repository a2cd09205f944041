import fs from 'node:fs/promises';

/**
 * The link between a supervisor (npm start, a test) and the components it starts
 * (lib/component-process.ts, lib/exit-with-parent.ts): the fd of the child's end of the socket
 * pair whose end-of-file says the supervisor is gone, and the supervisor's pid. The pid stays
 * in the component's initial environment (/proc/<pid>/environ), which is how a later
 * `npm start` tells a component whose supervisor is gone from one that is still supervised.
 */
export const supervisorFdEnv = 'STRANGLER_SUPERVISOR_FD';
export const supervisorPidEnv = 'STRANGLER_SUPERVISOR_PID';

/** The environment a process was started with (Linux /proc); undefined where it cannot be read. */
export async function initialEnvironment(pid: number): Promise<Map<string, string> | undefined> {
  try {
    const raw = await fs.readFile(`/proc/${pid}/environ`, 'utf8');
    const env = new Map<string, string>();
    for (const entry of raw.split('\0')) {
      const eq = entry.indexOf('=');
      if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
    }
    return env;
  } catch {
    return undefined;
  }
}

/** The supervisor pid a toolkit component was started under, if it was started by startComponent(). */
export async function supervisorOf(pid: number): Promise<number | undefined> {
  const value = (await initialEnvironment(pid))?.get(supervisorPidEnv);
  const supervisor = Number(value);
  return value && Number.isInteger(supervisor) && supervisor > 0 ? supervisor : undefined;
}
