import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMysqlKnex } from '../../lib/knex-mysql.ts';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.ts';
import type { ChangeEvent } from '../consumer/index.ts';
import { writerMapProjection } from './projection.ts';
import { otherWriters } from './questions.ts';
import { migrateWriterStore, writersDuring } from './store.ts';

/** The projection against a real store: buckets, re-sent events, windows. */
let db: TestDatabase;
let knex: Knex;
const topic = 'legacy.shop.inventory';
const projection = writerMapProjection([topic]);

function change(pos: number, row: number, query: string | null, tsMs: number): ChangeEvent {
  return {
    kind: 'change',
    topic,
    partition: 0,
    offset: String(pos),
    op: 'u',
    key: { product_id: 1 },
    before: null,
    after: { product_id: 1 },
    source: { snapshot: 'false', query, ts_ms: tsMs, file: 'binlog.000001', pos, row },
    position: null,
    positionKey: `000001:${String(pos).padStart(20, '0')}:1:${String(row).padStart(10, '0')}`,
    db: 'shop',
    table: 'inventory',
    sourceTable: 'inventory',
    unwrapped: false,
  };
}
const apply = (events: ChangeEvent[]) => knex.transaction((trx) => projection.handleBatch!(events, trx));
const orders =
  "/* route='POST%20%2Forders',traceparent='00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' */ update `inventory` set `stock` = stock - 1";
const t0 = Date.parse('2026-12-06T10:00:10.000Z');

beforeAll(async () => {
  db = await createTestDatabase('wmp');
  knex = createMysqlKnex(db.serverUrl, db.name, { min: 0, max: 2 });
  await migrateWriterStore(knex);
  await migrateWriterStore(knex); // a restart migrates again: nothing to do
});
afterAll(async () => {
  await knex?.destroy();
  await db?.drop();
});

describe('writer map projection (real store)', () => {
  it('counts each change once, even when the connector re-sends what it already sent', async () => {
    await apply([
      change(100, 0, orders, t0),
      change(100, 1, orders, t0),
      change(200, 0, 'UPDATE inventory SET stock = 5', t0 + 70_000),
    ]);
    // A connector restart re-reads the transaction: the same positions again, then a new one.
    await apply([
      change(100, 1, orders, t0),
      change(200, 0, 'UPDATE inventory SET stock = 5', t0 + 70_000),
      change(300, 0, orders, t0 + 125_000),
    ]);
    const map = await writersDuring(knex, {
      since: new Date(t0 - 3_600_000),
      until: new Date(t0 + 3_600_000),
    });
    expect(map.get('inventory')).toEqual([
      expect.objectContaining({
        writer: 'POST /orders',
        kind: 'route',
        changes: 3,
        firstAt: '2026-12-06T10:00:10.000Z',
        lastAt: '2026-12-06T10:02:15.000Z',
      }),
      expect.objectContaining({
        writer: 'untagged',
        changes: 1,
        lastStatement: 'UPDATE inventory SET stock = 5',
      }),
    ]);
  });

  it('answers for a window in whole minutes, widened outward', async () => {
    // 10:01:20 → only the minute of 10:01 (the untagged write) and later.
    const late = await otherWriters(knex, {
      tables: ['inventory'],
      window: { since: new Date(t0 + 70_000), until: new Date(t0 + 80_000) },
      exclude: [],
    });
    expect(late.map((o) => `${o.writer}:${o.changes}`)).toEqual(['untagged:1']);
    const excluded = await otherWriters(knex, {
      tables: ['inventory', 'products'],
      window: { since: new Date(t0 - 60_000), until: new Date(t0 + 3_600_000) },
      exclude: ['POST /orders'],
      db: 'shop',
    });
    expect(excluded.map((o) => `${o.table}: ${o.writer}`)).toEqual(['inventory: untagged']);
    // Another source database's counts are not this one's.
    const elsewhere = await otherWriters(knex, {
      tables: ['inventory'],
      window: { since: new Date(t0 - 60_000), until: new Date(t0 + 3_600_000) },
      exclude: [],
      db: 'shop_before',
    });
    expect(elsewhere).toEqual([]);
  });
});
