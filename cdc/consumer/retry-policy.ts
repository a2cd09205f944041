import { ToolkitError } from '../../lib/errors.ts';

/** Driver and knex failures that go away by themselves: the store is down, busy or deadlocked. */
const transientCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'PROTOCOL_CONNECTION_LOST',
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_QUERY_INTERRUPTED',
  'ER_CONNECTION_KILLED',
]);

export type Verdict = 'transient' | 'poison' | 'unknown';

/**
 * Retry code reads `retriable`, never the message. Toolkit errors say it themselves; store
 * errors are transient when they are about the connection or locking and poison when SQL
 * refused the data (e.g. ER_DATA_TOO_LONG); anything else is retried a few times, then
 * treated as poison (a handler bug must not stall the stream forever).
 */
export function classify(err: unknown): Verdict {
  if (err instanceof ToolkitError) return err.retriable ? 'transient' : 'poison';
  const e = err as { code?: unknown; errno?: unknown; name?: unknown } | null;
  if (e && typeof e.code === 'string' && transientCodes.has(e.code)) return 'transient';
  if (e && (e.name === 'KnexTimeoutError' || e.name === 'AbortError')) return 'transient';
  if (e && typeof e.errno === 'number' && typeof e.code === 'string' && e.code.startsWith('ER_'))
    return 'poison';
  return 'unknown';
}

/** Capped exponential backoff with jitter: base·2^attempt, at most cap (ms). */
export function backoffMs(attempt: number, baseMs: number, capMs: number): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}
