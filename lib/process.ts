/**
 * Whether a process with this pid exists and may be signalled by us: signal 0 checks without
 * sending anything. A pid owned by another user (EPERM) counts as not ours, so not alive: a
 * recorded pid that the system has since given to someone else's process is no server of ours.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
