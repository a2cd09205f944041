import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

let stdout: DestinationStream | undefined;

/**
 * Where every logger of the process writes: fd 1, synchronously. Not pino's default
 * (asynchronous, flushed by a synchronous write on exit): that exit flush retries a failed
 * write forever when stdout is a pipe whose reader is gone (EPIPE), so a component whose
 * supervisor died hung in its exit and ignored SIGTERM. A synchronous destination has nothing
 * left to flush on exit, and on EPIPE pino stops writing to it.
 */
function destination(): DestinationStream {
  // A test runner that captures process.stdout keeps getting the lines through it (as pino does).
  const out = process.stdout as NodeJS.WriteStream & { constructor: { prototype: { write: unknown } } };
  if (out.write !== out.constructor.prototype.write) return process.stdout;
  stdout ??= pino.destination({ dest: 1, sync: true });
  return stdout;
}

/**
 * One logger factory for every component; the component name is on every line so
 * `npm start` can interleave processes. LOG_LEVEL sets the level (default info; tests: warn).
 */
export function createLogger(component: string): Logger {
  const level = process.env.LOG_LEVEL ?? (process.env.VITEST ? 'warn' : 'info');
  return pino({ name: component, level, base: { component } }, destination());
}
