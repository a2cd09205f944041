import fs from 'node:fs/promises';
import path from 'node:path';
import { isAlive } from '../../lib/process.ts';

/**
 * What a running `npm start` knows about the components it supervises, written to a file
 * under the data folder on every change so `strangler status` (another process) can show a
 * restart in progress and its cause. One file per proxy port, like the routes copy, so two
 * toolkits on other ports keep apart.
 */
export interface SupervisedComponentState {
  name: string;
  /** running: up and ready; starting: a restart waiting for ready; restarting: waiting for its backoff. */
  state: 'running' | 'starting' | 'restarting';
  pid?: number;
  port: number;
  /** Restarts so far (the first start not counted). */
  restarts: number;
  /** The attempt the next or current restart is (1 = first), while restarting or starting. */
  attempt?: number;
  /** When the next start is due (epoch ms), while restarting. */
  nextStartAt?: number;
  /** Why it last stopped: exit code or signal and its last line of output. */
  cause?: string;
  /** The last lines it printed before it last stopped. */
  lastOutput?: string[];
}

export interface SupervisorState {
  pid: number;
  startedAt: string;
  updatedAt: string;
  components: SupervisedComponentState[];
}

export function supervisorStateFile(dataDir: string, proxyPort: number): string {
  return path.join(dataDir, `supervisor.${proxyPort}.json`);
}

let writes = 0;

export async function writeSupervisorState(file: string, state: SupervisorState): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  // A write replaces the file whole (rename), so a reader never sees half of one.
  const tmp = `${file}.${process.pid}.${++writes}.tmp`;
  await fs.writeFile(tmp, JSON.stringify(state, null, 2));
  await fs.rename(tmp, file);
}

/** The state of a live `npm start`; undefined when there is none (no file, or its writer is gone). */
export async function readSupervisorState(file: string): Promise<SupervisorState | undefined> {
  try {
    const state = JSON.parse(await fs.readFile(file, 'utf8')) as SupervisorState;
    return isAlive(state.pid) ? state : undefined;
  } catch {
    return undefined;
  }
}

/** "restarting (attempt 2, next in 4 s): exited with code 1: …" */
export function describeSupervision(c: SupervisedComponentState, now = Date.now()): string | undefined {
  if (c.state === 'restarting') {
    const next = Math.max(0, Math.ceil(((c.nextStartAt ?? now) - now) / 1000));
    return `restarting (attempt ${c.attempt ?? 1}, next in ${next} s): ${c.cause ?? 'exited'}`;
  }
  if (c.state === 'starting')
    return `restarting (attempt ${c.attempt ?? 1}, starting now): ${c.cause ?? 'exited'}`;
  return undefined;
}
