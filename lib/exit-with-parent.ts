import net from 'node:net';
import { isMainThread } from 'node:worker_threads';
import { supervisorFdEnv, supervisorPidEnv } from './supervisor-link.ts';

/**
 * Preloaded (node --import) into every process that startComponent() runs. A component runs in
 * its own process group, so a terminal's Ctrl-C reaches only its supervisor (npm start), which
 * stops components in order. Should the supervisor die without doing so (SIGKILL, a crash), the
 * component stops itself as on SIGTERM, so no orphan keeps a port.
 *
 * How it knows, however early the supervisor dies: startComponent() hands the child one end of
 * a socket pair as fd 3 (named by STRANGLER_SUPERVISOR_FD) and keeps the other end. The kernel
 * closes the supervisor's end when the supervisor exits for any reason, SIGKILL included, so
 * the child reads end-of-file, even when that happened before this preload ran. The parent's
 * pid (STRANGLER_SUPERVISOR_PID) is checked too: a child already re-parented stops at once.
 * Processes started otherwise (a cluster worker of the proxy) fall back to watching their
 * parent pid.
 */
// Short on purpose: with the supervisor gone the rest of the toolkit (the broker a connector
// drains to, say) is going too, so a graceful stop may wait on a peer that never answers; a
// later `npm start` would then find the port taken. Every component recovers from a cut-short
// stop as from SIGKILL (stored offsets and positions), so 3 s loses nothing.
const graceMs = 3_000;

function supervisorGone(): void {
  // Nobody reads our pipes any more: a log line must not turn the stop into a crash.
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});
  // The component's own SIGTERM handler stops it gracefully (before it installed one, SIGTERM's
  // default action ends it); the timer bounds a hang.
  setTimeout(() => process.exit(1), graceMs).unref();
  process.kill(process.pid, 'SIGTERM');
}

if (isMainThread) {
  const fd = Number(process.env[supervisorFdEnv]);
  const supervisorPid = Number(process.env[supervisorPidEnv]);
  // Our own children (the proxy's cluster workers) must not take fd 3 for this link.
  delete process.env[supervisorFdEnv];
  delete process.env[supervisorPidEnv];
  if (Number.isInteger(fd) && fd > 2) {
    let gone = false;
    const once = () => {
      if (gone) return;
      gone = true;
      supervisorGone();
    };
    const link = new net.Socket({ fd, readable: true, writable: false });
    link.on('data', () => {}); // the supervisor never writes; reading is how EOF shows
    link.on('end', once);
    link.on('close', once);
    link.on('error', once);
    link.unref();
    if (supervisorPid > 0 && process.ppid !== supervisorPid) once();
  } else {
    const parent = process.ppid;
    const timer = setInterval(() => {
      if (process.ppid === parent) return;
      clearInterval(timer);
      supervisorGone();
    }, 250);
    timer.unref();
  }
}
