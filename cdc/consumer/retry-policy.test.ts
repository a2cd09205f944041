import { describe, expect, it } from 'vitest';
import { ToolkitError } from '../../lib/errors.ts';
import { backoffMs, classify } from './retry-policy.ts';

const sqlError = (code: string, errno: number) => Object.assign(new Error(code), { code, errno });

describe('classify', () => {
  it.each([
    ['connection refused', Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), 'transient'],
    ['deadlock', sqlError('ER_LOCK_DEADLOCK', 1213), 'transient'],
    ['lock wait timeout', sqlError('ER_LOCK_WAIT_TIMEOUT', 1205), 'transient'],
    ['missing table (migration not run)', sqlError('ER_NO_SUCH_TABLE', 1146), 'transient'],
    ['knex pool timeout', Object.assign(new Error('x'), { name: 'KnexTimeoutError' }), 'transient'],
    ['value too long for its column', sqlError('ER_DATA_TOO_LONG', 1406), 'poison'],
    ['NULL into NOT NULL', sqlError('ER_BAD_NULL_ERROR', 1048), 'poison'],
    ['retriable toolkit error', new ToolkitError('X', 'x', { retriable: true }), 'transient'],
    ['non-retriable toolkit error', new ToolkitError('X', 'x'), 'poison'],
    ['a handler bug', new TypeError('x is undefined'), 'unknown'],
    ['another SQL error', sqlError('ER_SOMETHING_ELSE', 1), 'unknown'],
  ])('%s → %s', (_what, err, verdict) => {
    expect(classify(err)).toBe(verdict);
  });
});

describe('backoffMs', () => {
  it('grows from base and never passes the cap', () => {
    for (let attempt = 0; attempt < 30; attempt++) {
      const wait = backoffMs(attempt, 100, 5000);
      expect(wait).toBeGreaterThanOrEqual(Math.min(5000, 100 * 2 ** attempt) / 2);
      expect(wait).toBeLessThanOrEqual(5000);
    }
  });
});
