// Preloaded (node --import) into the Unleash server the interop tests start. Its standard input
// is a pipe only the starting process holds; when that process dies in any way, SIGKILL
// included, the kernel closes the pipe and Unleash stops itself as on SIGTERM (its own graceful
// shutdown), so no Unleash outlives a killed test run. The same idea as ParentWatch.java for the
// JVMs; lib/exit-with-parent.ts needs tsx, which has no business inside Unleash.
const graceMs = 10_000;
let gone = false;
function parentGone() {
  if (gone) return;
  gone = true;
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});
  setTimeout(() => process.exit(1), graceMs).unref();
  process.kill(process.pid, 'SIGTERM');
}
process.stdin.on('data', () => {});
process.stdin.on('end', parentGone);
process.stdin.on('close', parentGone);
process.stdin.on('error', parentGone);
process.stdin.unref?.();
