import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { positionColumnType } from '../../cdc/consumer/index.ts';
import { type ComponentProcess, startComponent } from '../../lib/component-process.ts';
import { waitFor } from '../../lib/net.ts';
import { createStore, envelope, until as pollUntil, type Store, useConsumerRig } from './support.ts';

/**
 * The runner's one-transaction promise, tested on a real process (test/consumer/runner-child.ts)
 * against the real broker and MariaDB: a batch's rows and its stored offsets commit together or
 * not at all. The child's handler stops inside the batch's transaction after writing rows; the
 * test checks on the server that the transaction is open, then SIGKILLs the child, SIGTERMs it,
 * or lets a store error fail the transaction, and reads what was committed. `effects` gets one
 * row per applied event and has no unique key, so an event applied twice is visible.
 */
// Registered first, so its afterAll (the producer and broker) runs after the cases' below.
const rig = useConsumerRig();
const children: ComponentProcess[] = [];
const cases: Store[] = [];

afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail')
    for (const c of children) console.error(`[${c.name}] output:\n${c.output().slice(-4000)}`);
  // A failed case must not leave a child running (it holds a MariaDB transaction and a group member).
  await Promise.all(children.splice(0).map((c) => c.stop('SIGKILL')));
});

afterAll(async () => {
  for (const c of cases) await c.drop();
});

// 30 s, not support's 20 s: this file's waits include a child process starting and joining the group.
const until = (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000) =>
  pollUntil(what, check, timeoutMs);

/**
 * InnoDB serves information_schema.INNODB_TRX from a cache it refreshes only when the cache was
 * not read for 100 ms: a read sooner than that (a tight poll) sees the old list forever.
 */
let trxReadAt = 0;
async function innodbTrx<T>(knex: Knex, sql: string, bindings: readonly Knex.Value[]): Promise<T[]> {
  const wait = trxReadAt + 150 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  try {
    const [rows] = await knex.raw(sql, bindings);
    return rows as T[];
  } finally {
    trxReadAt = Date.now();
  }
}

// Offsets 0–2: the first batch, committed before the second is produced.
const batchA = [
  envelope('r', { id: 1, name: 'one' }, 100),
  envelope('r', { id: 2, name: 'two' }, 110),
  envelope('c', { id: 3, name: 'three' }, 200),
];
// Offsets 3–7, produced in one send so that they arrive as one batch. Item 6 (offset 5) is
// where the handler holds; item 2 (offset 6) is the row the third case locks.
const batchB = [
  envelope('c', { id: 4, name: 'four' }, 300),
  envelope('u', { id: 1, name: 'one v2' }, 400),
  envelope('c', { id: 6, name: 'six' }, 500),
  envelope('d', { id: 2, name: 'two' }, 600),
  envelope('c', { id: 7, name: 'seven' }, 700),
];
const offsets = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => String(from + i));
const afterA = {
  items: [
    { id: 1, name: 'one', deleted: 0 },
    { id: 2, name: 'two', deleted: 0 },
    { id: 3, name: 'three', deleted: 0 },
  ],
  effects: offsets(0, 2),
  nextOffset: '3',
};
const afterB = {
  items: [
    { id: 1, name: 'one v2', deleted: 0 },
    { id: 2, name: 'two', deleted: 1 },
    { id: 3, name: 'three', deleted: 0 },
    { id: 4, name: 'four', deleted: 0 },
    { id: 6, name: 'six', deleted: 0 },
    { id: 7, name: 'seven', deleted: 0 },
  ],
  effects: offsets(0, 7),
  nextOffset: '8',
};

interface FixtureLine {
  fixture: string;
  offset?: string;
  trxOffsets?: string[];
  connectionId?: number;
  effectsInTrx?: number;
  count?: number;
  storedNextOffset?: string | null;
  counters?: Record<string, number>;
}

function lines(child: ComponentProcess): FixtureLine[] {
  return child
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{"fixture"'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as FixtureLine];
      } catch {
        return []; // a line still being written
      }
    });
}

const handled = (child: ComponentProcess) =>
  lines(child)
    .filter((l) => l.fixture === 'handled')
    .map((l) => l.offset);

async function waitLine(child: ComponentProcess, kind: string): Promise<FixtureLine> {
  await until(`the child's "${kind}" line`, () => {
    if (child.child.exitCode !== null || child.child.signalCode !== null)
      throw new Error(`the child exited before "${kind}":\n${child.output().slice(-3000)}`);
    return lines(child).some((l) => l.fixture === kind);
  });
  return lines(child).find((l) => l.fixture === kind)!;
}

/** One database, topic and group per case, and the child process that projects them. */
async function setupCase(name: string) {
  const store = await createStore(`crash_${name}`, 2);
  cases.push(store);
  const { db, knex } = store;
  await knex.schema.createTable('items', (t) => {
    t.integer('id').primary();
    t.string('name', 100);
    t.boolean('deleted').notNullable().defaultTo(false);
    t.specificType('src_pos', positionColumnType);
  });
  await knex.schema.createTable('effects', (t) => {
    t.increments('seq');
    t.bigInteger('kafka_offset').notNullable();
    t.integer('item_id').notNullable();
  });
  const topic = `legacy.shop.items_${name}_${randomBytes(3).toString('hex')}`;
  const groupId = `crash-${topic}`;
  // One partition, created before the first send (auto-creation would spread keyless records).
  const admin = rig.kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
  await admin.disconnect();
  return {
    knex,
    send: (values: string[]) =>
      rig.producer.send({ topic, acks: -1, messages: values.map((value) => ({ value })) }),
    async start(env: Record<string, string> = {}) {
      const child = await startComponent({
        name: `runner-child:${name}`,
        script: 'test/consumer/runner-child.ts',
        env: {
          LOG_LEVEL: 'warn',
          BROKERS: rig.broker.brokers.join(','),
          STORE_URL: db.url,
          TOPIC: topic,
          GROUP_ID: groupId,
          ...env,
        },
        readyLine: '{"fixture":"started"}',
        readyTimeoutMs: 30_000,
      });
      children.push(child);
      return child;
    },
    /** What is committed: the parent's reads never see the child's open transaction. */
    async store() {
      const offset = await knex('cdc_offsets').where({ group_id: groupId, topic, partition: 0 }).first();
      return {
        items: await knex('items').orderBy('id').select('id', 'name', 'deleted'),
        effects: (await knex('effects').orderBy('kafka_offset').select('kafka_offset')).map((r) =>
          String(r.kafka_offset),
        ),
        nextOffset: offset ? String(offset.next_offset) : null,
      };
    },
    /** The server's view of a connection's open InnoDB transaction, if any. */
    async openTransaction(connectionId: number) {
      const [row] = await innodbTrx<{ state: string; rowsModified: number | string }>(
        knex,
        'SELECT trx_state AS state, trx_rows_modified AS rowsModified FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id = ?',
        [connectionId],
      );
      return row ? { state: row.state, rowsModified: Number(row.rowsModified) } : null;
    },
    /** A transaction of this case's database waiting for a row lock. */
    async lockWaiter() {
      const [row] = await innodbTrx<{ connectionId: number | string; rowsModified: number | string }>(
        knex,
        `SELECT t.trx_mysql_thread_id AS connectionId, t.trx_rows_modified AS rowsModified
           FROM information_schema.INNODB_TRX t JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id
          WHERE t.trx_state = 'LOCK WAIT' AND p.DB = ?`,
        [db.name],
      );
      return row ? { connectionId: Number(row.connectionId), rowsModified: Number(row.rowsModified) } : null;
    },
  };
}

type Case = Awaited<ReturnType<typeof setupCase>>;

/** Batch A applied and committed, then batch B produced; the child (holding or not) is running. */
async function firstBatchCommitted(
  c: Case,
  env: Record<string, string> = {},
  beforeB: () => Promise<unknown> = async () => undefined,
) {
  await c.send(batchA);
  const child = await c.start(env);
  await until('the first batch committed', async () => (await c.store()).nextOffset === '3');
  expect(await c.store()).toEqual(afterA);
  await beforeB();
  await c.send(batchB);
  return child;
}

/** The child holds inside batch B's transaction: checked on the server, not taken on trust. */
async function heldInTransaction(c: Case, child: ComponentProcess) {
  const held = await waitLine(child, 'held');
  // Offsets 3–5 written in this transaction; the child sees its 3 + the 3 committed effects.
  expect(held).toMatchObject({ offset: '5', trxOffsets: ['3', '4', '5'], effectsInTrx: 6 });
  const open = await c.openTransaction(held.connectionId!);
  expect(open).not.toBeNull();
  expect(open!.rowsModified).toBeGreaterThanOrEqual(6);
  expect(await c.store()).toEqual(afterA);
  return held;
}

describe('ProjectionRunner in a separate process, stopped inside a batch', () => {
  it('SIGKILL inside the transaction: neither the batch rows nor its offsets are stored; a restart applies each event once', async () => {
    const c = await setupCase('kill');
    let child = await firstBatchCommitted(c, { HOLD_ID: '6' });
    const held = await heldInTransaction(c, child);

    await child.stop('SIGKILL');
    expect(child.child.signalCode).toBe('SIGKILL');
    // The server rolls the transaction back once it sees the connection drop.
    await until('the killed transaction is gone', async () => !(await c.openTransaction(held.connectionId!)));
    expect(await c.store()).toEqual(afterA);

    // The restart resumes at the stored offset 3: 0–2 are not handled again, 3–7 once each.
    child = await c.start();
    await until('the restart converged', async () => (await c.store()).nextOffset === '8', 45_000);
    expect(await c.store()).toEqual(afterB);
    expect(handled(child)).toEqual(offsets(3, 7));
    await child.stop('SIGTERM');
  });

  it('SIGTERM inside the transaction: the stop waits, the batch and its offsets commit, a restart does not re-apply it', async () => {
    const c = await setupCase('term');
    let child = await firstBatchCommitted(c, { HOLD_ID: '6' });
    const held = await heldInTransaction(c, child);

    child.child.kill('SIGTERM');
    await waitLine(child, 'stopping');
    // runner.stop() has begun and waits for the batch in flight: still open, nothing committed.
    expect(await c.openTransaction(held.connectionId!)).not.toBeNull();
    expect(await c.store()).toEqual(afterA);
    expect(lines(child).map((l) => l.fixture)).not.toContain('runner-stopped');

    child.child.kill('SIGUSR2'); // the handler goes on: offsets 6 and 7, then the commit
    expect(await child.exited).toBe(0);
    const order = lines(child)
      .map((l) => l.fixture)
      .filter((f) => f !== 'batch');
    // After SIGTERM the handler finished the batch (offsets 6 and 7), and when runner.stop()
    // resolved its transaction had committed: the store already held next offset 8.
    expect(order.slice(order.indexOf('stopping'))).toEqual([
      'stopping',
      'handled',
      'handled',
      'runner-stopped',
      'stopped',
    ]);
    expect(lines(child).find((l) => l.fixture === 'runner-stopped')!.storedNextOffset).toBe('8');
    expect(lines(child).find((l) => l.fixture === 'stopped')!.counters).toMatchObject({ applied: 8 });
    expect(await c.store()).toEqual(afterB);

    // Restarted, the runner reads only what came after: one new event at offset 8.
    child = await c.start();
    await c.send([envelope('u', { id: 4, name: 'four v2' }, 800)]);
    await until('the new event applied', async () => (await c.store()).nextOffset === '9');
    expect(handled(child)).toEqual(['8']);
    expect(await c.store()).toEqual({
      items: afterB.items.map((r) => (r.id === 4 ? { ...r, name: 'four v2' } : r)),
      effects: offsets(0, 8),
      nextOffset: '9',
    });
    child.child.kill('SIGTERM');
    expect(await child.exited).toBe(0);
  });

  it('a transient store error after the handler wrote rows: rows and offsets roll back together, the retry applies the batch once', async () => {
    const c = await setupCase('retry');
    // The test holds item 2's row lock: the batch's delete of item 2 (offset 6) waits, then
    // fails with ER_LOCK_WAIT_TIMEOUT, after offsets 3–5 were written in the same transaction.
    const lock = await c.knex.transaction();
    let child: ComponentProcess | undefined;
    try {
      child = await firstBatchCommitted(c, {}, () => lock('items').where({ id: 2 }).forUpdate());
      const waiter = await waitFor(
        'the batch waiting for the row lock',
        async () => (await c.lockWaiter()) ?? Promise.reject(new Error('not yet')),
        { timeoutMs: 30_000, intervalMs: 50 },
      );
      expect(waiter.rowsModified).toBeGreaterThanOrEqual(6);
      // The first attempt handled offsets 3–5, then reached 6 (the locked row).
      expect(handled(child).slice(3, 7)).toEqual(['3', '4', '5', '6']);
      const running = child;
      await until('the runner retried after the lock wait timeout', () =>
        running.output().includes('"code":"ER_LOCK_WAIT_TIMEOUT"'),
      );
      // Handled again from the batch start: the failed attempt really was rolled back and re-run.
      await until(
        'the retry re-ran the handler',
        () => handled(running).filter((o) => o === '3').length >= 2,
      );
      expect(await c.store()).toEqual(afterA);
    } finally {
      await lock.rollback();
    }
    if (!child) throw new Error('unreachable: the child started in the try block');
    await until('applied once the lock is gone', async () => (await c.store()).nextOffset === '8');
    // Offsets 3–5 were handled at least twice, yet each has exactly one effect row.
    expect(await c.store()).toEqual(afterB);
    child.child.kill('SIGTERM');
    expect(await child.exited).toBe(0);
    expect(lines(child).find((l) => l.fixture === 'stopped')!.counters!.retries).toBeGreaterThanOrEqual(1);
  });
});
