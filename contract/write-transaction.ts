import type { Knex } from 'knex';
import { ShopError } from './errors.ts';
import { isMysqlError, mysqlErrors } from './mysql-errors.ts';

/** How many times a write transaction runs before a deadlock is answered 503 `SHOP_ERR_BUSY`. */
export const writeAttempts = 5;

/**
 * The one way the shop writes: `work` in a transaction, rerun whole when InnoDB picked it as a
 * deadlock victim (error 1213). Every write goes through here, whatever rows it locks: the
 * writes lock products and inventory rows in different orders (an order locks stock then
 * price, a recount the product then its stock, a price change the product), so any of them can
 * be the victim when they meet on one product.
 *
 * A rerun is safe: InnoDB rolled the victim back whole, and knex rolls back whatever the
 * callback did when it throws. A lock wait timeout (1205) is not rerun: the client has already
 * waited `innodb_lock_wait_timeout` (50 s by default) and a rerun would double that; it is
 * answered 503 `SHOP_ERR_BUSY` (retriable) at once.
 */
export function writeTransaction<T>(
  knex: Knex,
  work: (trx: Knex.Transaction) => Promise<T>,
  attempts = writeAttempts,
): Promise<T> {
  return withDeadlockRetry(() => knex.transaction(work), attempts);
}

/**
 * Runs `work` (one whole transaction) again when it fails as a deadlock victim; backoff is short
 * and jittered so the contenders do not collide again in step. Prefer writeTransaction.
 */
export async function withDeadlockRetry<T>(work: () => Promise<T>, attempts = writeAttempts): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (isMysqlError(err, mysqlErrors.lockWaitTimeout)) {
        throw new ShopError('SHOP_ERR_BUSY', 'a write waited too long for a row lock; retry', {
          retriable: true,
          cause: err,
        });
      }
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
