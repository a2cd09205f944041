/**
 * A component whose graceful stop never ends: its SIGTERM handler waits on a peer that is gone,
 * as a connector draining to a broker that died with the supervisor does. Prints `stubborn
 * ready` once its handler is installed.
 */
process.on('SIGTERM', () => {
  console.log('stopping: waiting for a peer that never answers');
});
setInterval(() => {}, 60_000);
console.log('stubborn ready');
