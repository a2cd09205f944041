import type { Knex } from 'knex';
import { withDeadlockRetry, writeTransaction } from '../../contract/index.ts';

/** Thrown inside a dry run's transaction so knex rolls it back; never leaves this module. */
class DryRunRollback extends Error {
  constructor() {
    super('dry run: rolled back');
  }
}

/**
 * A service's one way to write: `work` in a transaction (rerun on a deadlock, as the monolith
 * writes), or, for a request the proxy marked as a dry run (contract/dry-run.ts), the same
 * `work` in a transaction that is always rolled back, returning what it would have returned.
 * The whole handler runs either way: validation, locks, the store's own checks and the answer
 * built from the rows it wrote, so the answer is the one a real write would have given. An
 * error the work throws is answered as usual; nothing of a dry run stays in the store
 * (AUTO_INCREMENT values it drew are not given back: InnoDB never reuses them).
 */
export function writeOrDryRun<T>(
  knex: Knex,
  dryRun: boolean,
  work: (trx: Knex.Transaction) => Promise<T>,
): Promise<T> {
  if (!dryRun) return writeTransaction(knex, work);
  return withDeadlockRetry(async () => {
    let answer: { value: T } | undefined;
    try {
      await knex.transaction(async (trx) => {
        answer = { value: await work(trx) };
        throw new DryRunRollback();
      });
    } catch (err) {
      if (!(err instanceof DryRunRollback)) throw err;
    }
    return answer!.value;
  });
}
