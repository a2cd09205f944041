import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Names the process listening on a TCP port ("pid 1234 (node)"), so a port clash can be
 * reported precisely. Uses `ss` (Linux) or `lsof` (macOS); undefined when neither can tell.
 */
export async function portOwner(port: number): Promise<string | undefined> {
  try {
    const { stdout } = await run('ss', ['-ltnpH', `sport = :${port}`]);
    const match = /users:\(\("([^"]+)",pid=(\d+)/.exec(stdout);
    if (match) return `pid ${match[2]} (${match[1]})`;
  } catch {
    // no ss here: try lsof
  }
  try {
    const { stdout } = await run('lsof', ['-nP', `-iTCP:${port}`, '-sTCP:LISTEN', '-Fpc']);
    const pid = /^p(\d+)/m.exec(stdout)?.[1];
    const command = /^c(.+)$/m.exec(stdout)?.[1];
    if (pid) return `pid ${pid}${command ? ` (${command})` : ''}`;
  } catch {
    // neither tool: the caller says the port is taken without naming the process
  }
  return undefined;
}
