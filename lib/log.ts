import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * One logger factory for every component; the component name is on every line so
 * `npm start` can interleave processes. LOG_LEVEL sets the level (default info; tests: warn).
 */
export function createLogger(component: string): Logger {
  const level = process.env.LOG_LEVEL ?? (process.env.VITEST ? 'warn' : 'info');
  return pino({ name: component, level, base: { component } });
}
