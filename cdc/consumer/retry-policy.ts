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
  // The store's schema or grants are wrong (a migration not run, a table renamed): every
  // event would fail the same way, so wait for the operator instead of dead-lettering the stream.
  'ER_NO_SUCH_TABLE',
  'ER_BAD_FIELD_ERROR',
  'ER_BAD_DB_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  'ER_TABLEACCESS_DENIED_ERROR',
  'ER_OPTION_PREVENTS_STATEMENT',
  'ER_READ_ONLY_MODE',
]);

/** SQL refused this event's data: only this event fails, so it is poison. */
const dataErrorCodes = new Set([
  'ER_DATA_TOO_LONG',
  'ER_TRUNCATED_WRONG_VALUE',
  'ER_TRUNCATED_WRONG_VALUE_FOR_FIELD',
  'ER_WARN_DATA_OUT_OF_RANGE',
  'ER_BAD_NULL_ERROR',
  'ER_DUP_ENTRY',
  'ER_NO_DEFAULT_FOR_FIELD',
  'ER_INVALID_JSON_TEXT',
  'ER_WRONG_VALUE_COUNT_ON_ROW',
  'ER_CHECK_CONSTRAINT_VIOLATED',
  'ER_CONSTRAINT_FAILED',
]);

export type Verdict = 'transient' | 'poison' | 'unknown';

/**
 * Retry code reads `retriable`, never the message. Toolkit errors say it themselves; store
 * errors are transient when they are about the connection, locking or the store's schema and
 * poison when SQL refused this event's data (e.g. ER_DATA_TOO_LONG); anything else is retried
 * a few times, then treated as poison (a handler bug must not stall the stream forever).
 */
export function classify(err: unknown): Verdict {
  if (err instanceof ToolkitError) return err.retriable ? 'transient' : 'poison';
  const e = err as { code?: unknown; errno?: unknown; name?: unknown } | null;
  if (e && typeof e.code === 'string' && transientCodes.has(e.code)) return 'transient';
  if (e && (e.name === 'KnexTimeoutError' || e.name === 'AbortError')) return 'transient';
  if (e && typeof e.code === 'string' && dataErrorCodes.has(e.code)) return 'poison';
  return 'unknown';
}

/** Capped exponential backoff with jitter: base·2^attempt, at most cap (ms). */
export function backoffMs(attempt: number, baseMs: number, capMs: number): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}
