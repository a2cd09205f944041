import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { positionColumnType, upsertNewer } from '../../cdc/consumer/index.ts';
import { createStore, type Store } from './support.ts';

/**
 * upsertNewer with rows that carry different columns, on real MariaDB: a column only some rows
 * carry is written for those rows, a column a row lacks keeps its stored value (absent is not
 * NULL), and several rows of one key with different columns leave what applying them one at a
 * time would. Rows without a key or position column are refused with a typed error.
 */
let store: Store;
const options = { keyColumns: ['id'], positionColumn: 'pos' };
const pos = (n: number) => String(n).padStart(6, '0');

async function table(name: string) {
  await store.knex.schema.createTable(name, (t) => {
    t.integer('id').primary();
    t.string('name', 50).nullable();
    t.decimal('price', 10, 2).nullable();
    t.integer('stock').nullable();
    t.string('note', 50).nullable();
    t.specificType('pos', positionColumnType);
  });
}
const rows = (name: string) =>
  store.knex(name).orderBy('id').select('id', 'name', 'price', 'stock', 'note', 'pos');

beforeAll(async () => {
  store = await createStore('upsert');
});
afterAll(async () => {
  await store?.drop();
});

describe('upsertNewer with different column sets', () => {
  it('writes a column that only a later row carries', async () => {
    await table('t1');
    await upsertNewer(
      store.knex,
      't1',
      [
        { id: 1, name: 'a', pos: pos(1) },
        { id: 2, name: 'b', stock: 5, pos: pos(1) },
      ],
      options,
    );
    expect(await rows('t1')).toMatchObject([
      { id: 1, name: 'a', stock: null },
      { id: 2, name: 'b', stock: 5 },
    ]);
  });

  it('keeps the stored value of a column a row lacks (absent is not NULL), and writes an explicit null', async () => {
    await table('t2');
    await store.knex('t2').insert([
      { id: 1, name: 'old', price: '9.00', stock: 3, note: 'n', pos: pos(1) },
      { id: 2, name: 'old', price: '9.00', stock: 3, note: 'n', pos: pos(1) },
    ]);
    await upsertNewer(
      store.knex,
      't2',
      [
        { id: 1, name: 'new', price: '1.00', stock: 4, pos: pos(2) },
        { id: 2, name: 'new2', note: null, stock: undefined, pos: pos(2) },
      ],
      options,
    );
    expect(await rows('t2')).toEqual([
      { id: 1, name: 'new', price: '1.00', stock: 4, note: 'n', pos: pos(2) },
      { id: 2, name: 'new2', price: '9.00', stock: 3, note: null, pos: pos(2) },
    ]);
  });

  it("one key's rows with different columns: each column takes the newest row that carries it, when newer than the stored row", async () => {
    await table('t3');
    await store.knex('t3').insert([
      { id: 3, name: 'stored', price: '1.00', stock: 1, note: 'x', pos: pos(5) },
      { id: 4, name: 'stored', price: '1.00', stock: 1, note: 'x', pos: pos(1) },
    ]);
    await upsertNewer(
      store.knex,
      't3',
      [
        // id 3: the name change is older than the stored row, the stock change newer
        { id: 3, name: 'late', pos: pos(4) },
        { id: 3, stock: 9, pos: pos(6) },
        // id 4: two changes newer than the stored row, on different columns, then a price change
        { id: 4, name: 'n1', price: '2.00', pos: pos(2) },
        { id: 4, stock: 7, pos: pos(3) },
        { id: 4, price: '3.00', pos: pos(4) },
      ],
      options,
    );
    expect(await rows('t3')).toEqual([
      { id: 3, name: 'stored', price: '1.00', stock: 9, note: 'x', pos: pos(6) },
      { id: 4, name: 'n1', price: '3.00', stock: 7, note: 'x', pos: pos(4) },
    ]);
  });

  it('equals applying the rows one at a time in source order, for random mixes of columns, keys and positions', async () => {
    await table('batch');
    await table('single');
    let seed = 11;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return Math.floor(seed / 65536) % n;
    };
    const optional = ['name', 'price', 'stock', 'note'] as const;
    // Positions are unique: two events at one position are one event sent twice (same content).
    const used = new Set<number>();
    const freshPos = () => {
      for (;;) {
        const p = rnd(100_000);
        if (!used.has(p)) {
          used.add(p);
          return pos(p);
        }
      }
    };
    for (let round = 0; round < 5; round++) {
      const batch: Record<string, unknown>[] = [];
      for (let i = 0; i < 80; i++) {
        const row: Record<string, unknown> = { id: 1 + rnd(12), pos: freshPos() };
        for (const c of optional)
          if (rnd(2) === 0)
            row[c] =
              rnd(8) === 0
                ? null
                : c === 'price'
                  ? `${rnd(100)}.${rnd(10)}0`
                  : c === 'stock'
                    ? rnd(1000)
                    : `${c}${rnd(50)}`;
        batch.push(row);
      }
      await upsertNewer(store.knex, 'batch', batch, options);
      // The reference: one row at a time in source (position) order, as the events happened.
      const inSourceOrder = [...batch].sort((a, b) => String(a.pos).localeCompare(String(b.pos)));
      for (const row of inSourceOrder) await upsertNewer(store.knex, 'single', [row], options);
      expect(await rows('batch')).toEqual(await rows('single'));
    }
    expect((await rows('batch')).length).toBe(12);
  });

  it('refuses a row without its key or position column with a typed error', async () => {
    await table('t5');
    await expect(
      upsertNewer(
        store.knex,
        't5',
        [
          { id: 1, name: 'a', pos: pos(1) },
          { name: 'b', pos: pos(1) },
        ],
        options,
      ),
    ).rejects.toMatchObject({
      code: 'CDC_ERR_UPSERT_ROW',
      retriable: false,
      message: expect.stringMatching(/key column id/),
    });
    await expect(upsertNewer(store.knex, 't5', [{ id: 1, name: 'a' }], options)).rejects.toMatchObject({
      code: 'CDC_ERR_UPSERT_ROW',
      message: expect.stringMatching(/position column pos/),
    });
    expect(await rows('t5')).toEqual([]);
  });
});
