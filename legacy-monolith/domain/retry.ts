import { ShopError } from '../../contract/index.ts';
import { isMysqlError, mysqlErrors } from './mysql-errors.ts';

/**
 * Runs a transaction again when InnoDB picked it as a deadlock victim (error 1213): the
 * victim's work was rolled back whole, so a rerun is safe. Backoff is short and jittered so
 * the contenders do not collide again in step.
 */
export async function withDeadlockRetry<T>(work: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (!isMysqlError(err, mysqlErrors.deadlock)) throw err;
      if (attempt >= attempts) {
        throw new ShopError(
          'SHOP_ERR_BUSY',
          `the database kept deadlocking after ${attempts} attempts; retry`,
          {
            retriable: true,
            cause: err,
          },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 5 * attempt + Math.random() * 20));
    }
  }
}
