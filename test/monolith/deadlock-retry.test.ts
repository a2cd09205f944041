import type { Knex } from 'knex';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { withDeadlockRetry, writeTransaction } from '../../contract/index.ts';
import { createMysqlKnex } from '../../lib/knex-mysql.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

/**
 * Provokes a real InnoDB deadlock: two transactions each lock one row, wait until the other
 * has too, then ask for the other's row. InnoDB kills one with error 1213.
 */
describe('withDeadlockRetry on a real deadlock', () => {
  let db: TestDatabase;
  let knex: Knex;
  beforeAll(async () => {
    db = await createTestDatabase('dl');
    knex = createMysqlKnex(db.serverUrl, db.name, { min: 0, max: 4 });
    await knex.raw('CREATE TABLE counters (id INT PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB');
  });
  beforeEach(async () => {
    await knex('counters').delete();
    await knex('counters').insert([
      { id: 1, v: 0 },
      { id: 2, v: 0 },
    ]);
  });
  afterAll(async () => {
    await knex.destroy();
    await db.drop();
  });

  function crossedPair(attemptsEach: number) {
    const attempts = { a: 0, b: 0 };
    let arrived = 0;
    let release!: () => void;
    const bothLocked = new Promise<void>((resolve) => {
      release = resolve;
    });
    const worker = (name: 'a' | 'b', first: number, second: number) =>
      withDeadlockRetry(
        () =>
          knex.transaction(async (trx) => {
            attempts[name]++;
            await trx('counters').where({ id: first }).forUpdate().select('v');
            if (attempts[name] === 1) {
              if (++arrived === 2) release();
              await bothLocked;
            }
            await trx('counters')
              .where({ id: second })
              .update({ v: trx.raw('v + 1') });
            await trx('counters')
              .where({ id: first })
              .update({ v: trx.raw('v + 1') });
          }),
        attemptsEach,
      );
    return { attempts, run: () => Promise.allSettled([worker('a', 1, 2), worker('b', 2, 1)]) };
  }

  it('reruns the victim so both transactions commit', async () => {
    const pair = crossedPair(5);
    const results = await pair.run();
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(pair.attempts.a + pair.attempts.b).toBe(3);
    expect(await knex('counters').orderBy('id').pluck('v')).toEqual([2, 2]);
  });

  it('gives up after the allowed attempts with a retriable SHOP_ERR_BUSY', async () => {
    const pair = crossedPair(1);
    const results = await pair.run();
    const rejected = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.reason).toMatchObject({ code: 'SHOP_ERR_BUSY', retriable: true });
    expect(await knex('counters').orderBy('id').pluck('v')).toEqual([1, 1]);
  });

  it('answers a lock wait timeout with a retriable SHOP_ERR_BUSY at once, without a rerun', async () => {
    let holderLocked!: () => void;
    const locked = new Promise<void>((resolve) => {
      holderLocked = resolve;
    });
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const holder = knex.transaction(async (trx) => {
      await trx('counters').where({ id: 1 }).forUpdate().select('v');
      holderLocked();
      await released;
    });
    await locked;
    let attempts = 0;
    const waiter = writeTransaction(knex, async (trx) => {
      attempts++;
      await trx.raw('SET SESSION innodb_lock_wait_timeout = 1');
      await trx('counters')
        .where({ id: 1 })
        .update({ v: trx.raw('v + 1') });
    });
    const outcome = await waiter.then(
      () => undefined,
      (err: unknown) => err,
    );
    release();
    await holder;
    expect(outcome).toMatchObject({ code: 'SHOP_ERR_BUSY', retriable: true });
    expect(attempts).toBe(1);
    expect(await knex('counters').orderBy('id').pluck('v')).toEqual([0, 0]);
  });
});
