import { isMainThread } from 'node:worker_threads';

/**
 * Preloaded (node --import) into components that startComponent() runs in their own process
 * group. A terminal's Ctrl-C no longer reaches them, only their supervisor (npm start), which
 * stops them in order. Should the supervisor die without doing so (SIGKILL, a crash), the
 * component is re-parented: it then stops itself as on SIGTERM, so no orphan keeps a port.
 */
const graceMs = 10_000;

if (isMainThread) {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    // Nobody reads our pipes any more: a log line must not turn the stop into a crash.
    process.stdout.on('error', () => {});
    process.stderr.on('error', () => {});
    // The component's own SIGTERM handler stops it gracefully; the timer bounds a hang.
    setTimeout(() => process.exit(1), graceMs).unref();
    process.kill(process.pid, 'SIGTERM');
  }, 250);
  timer.unref();
}
