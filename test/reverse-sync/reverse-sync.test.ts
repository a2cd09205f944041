import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ownershipClient,
  type ReverseStatus,
  reverseSyncClient,
  reverseSyncErrorCodes,
} from '../../cdc/reverse-sync/index.ts';
import { until } from '../extracted/support.ts';
import { call } from '../monolith/support.ts';
import { type Chain, parity, startChain } from './chain.ts';

/**
 * Moving writes, the way back (docs/reverse-sync.md), with every part a real process: writes
 * the catalog makes in its store reach the shop's tables once, come back to the catalog only as
 * tagged echoes that it drops, survive SIGKILLs of the reverse applier, the store connector and
 * the catalog without a lost or doubled write, and a writer that is not the reverse applier on
 * an owned table raises the alarm. Writes to the store are SQL, as the catalog's handlers write.
 */
let chain: Chain;
let kafka: Kafka;
const route = 'products';
const owned = ['inventory', 'products'];
const reverse = () => reverseSyncClient(chain.reverse.base, { timeoutMs: 15_000 });
const ownership = () => ownershipClient(chain.catalog.base, { timeoutMs: 15_000 });
const storeTopic = () => `${chain.names.storePrefix}.${chain.names.store}.catalog_products`;
const forwardTopic = (table: string) => `legacy.${chain.names.shop}.${table}`;

/** A product row as the catalog writes it into its store. */
function storeRow(id: number, name: string, stock: number) {
  return {
    id,
    sku: `REV-${id}`,
    name,
    description: `written by the catalog (${id})`,
    price: '12.34',
    category: 'reverse',
    attributes: JSON.stringify({ id }),
    created_at: new Date('2026-12-01T10:00:00.123Z'),
    updated_at: new Date('2026-12-01T10:00:00.123Z'),
    product_exists: 1,
    product_pos: '',
    stock,
    inventory_pos: '',
  };
}

async function endOffset(topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((n, o) => n + Number(o.high), 0);
  } catch {
    return 0;
  } finally {
    await admin.disconnect();
  }
}

/** Every record value of a topic up to its current end. */
async function readTopic(topic: string): Promise<Record<string, unknown>[]> {
  return (await readRecords(topic)).map((r) => r.value);
}

async function readRecords(
  topic: string,
): Promise<{ key: Record<string, unknown> | null; value: Record<string, unknown> }[]> {
  const end = await endOffset(topic);
  const seen: { key: Record<string, unknown> | null; value: Record<string, unknown> }[] = [];
  if (end === 0) return seen;
  const reader = kafka.consumer({ groupId: `peek-${Date.now()}-${Math.random()}` });
  await reader.connect();
  await reader.subscribe({ topics: [topic], fromBeginning: true });
  await reader.run({
    eachMessage: async ({ message }) => {
      if (Number(message.offset) < end)
        seen.push({
          key: message.key ? JSON.parse(message.key.toString()) : null,
          value: message.value ? JSON.parse(message.value.toString()) : { tombstone: true },
        });
    },
  });
  await until(`${end} records of ${topic}`, () => seen.length >= end);
  await reader.disconnect();
  return seen;
}

async function caughtUp(): Promise<ReverseStatus> {
  return reverse().waitCaughtUp(owned, { timeoutMs: 120_000, pollMs: 300 });
}

beforeAll(async () => {
  chain = await startChain();
  kafka = new Kafka({ brokers: chain.broker.brokers, logLevel: logLevel.NOTHING });
}, 300_000);

afterAll(async () => {
  await chain?.stop();
}, 120_000);

describe('reverse sync (catalog store → shop), real processes', () => {
  it('refuses bad commands with typed errors and changes nothing', async () => {
    for (const body of [
      {},
      { tables: [] },
      { tables: ['orders'] },
      { tables: ['products', 'products'] },
      { tables: ['products'], x: 1 },
    ]) {
      const res = await call(chain.reverse.base, 'POST', '/reverse/enable', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('REVERSE_ERR_BAD_TABLES');
      expect(res.body.error.code in reverseSyncErrorCodes).toBe(true);
    }
    const malformed = await call(chain.reverse.base, 'POST', '/reverse/disable', '{"tables": [', {
      'content-type': 'application/json',
    });
    expect([malformed.status, malformed.body.error.code]).toEqual([400, 'REVERSE_ERR_BAD_TABLES']);
    const nowhere = await call(chain.reverse.base, 'GET', '/nowhere');
    expect([nowhere.status, nowhere.body.error.code]).toEqual([404, 'REVERSE_ERR_ROUTE_NOT_FOUND']);
    const badOwner = await call(chain.catalog.base, 'PUT', '/writes/ownership', { owned: ['orders'] });
    expect([badOwner.status, badOwner.body.error.code]).toEqual([400, 'SHOP_ERR_INVALID_BODY']);
    expect(badOwner.body.error.message).toMatch(/owned/);
    const status = await reverse().status();
    expect(Object.values(status.tables).map((t) => t.enabled)).toEqual([false, false]);
    expect(await ownership().get()).toEqual({ owned: [], since: null, secondWriters: {} });
  });

  it('a store write appears once in legacy and produces no event back into the store (echo)', async () => {
    // The switch, as `strangler move-writes` drives it: the service owns the tables, reverse on.
    const set = await ownership().set(owned);
    expect(set.owned).toEqual(owned);
    expect(Date.parse(set.since ?? '')).toBeGreaterThan(Date.now() - 120_000);
    const enabled = await reverse().enable(owned);
    expect(enabled.tables.products).toMatchObject({ route, enabled: true });
    expect(enabled.tables.inventory).toMatchObject({ route, enabled: true });
    await caughtUp();
    const storeEventsBefore = await endOffset(storeTopic());

    await chain.store('catalog_products').insert(storeRow(1_000_001, 'made by the catalog', 7));
    await chain
      .store('catalog_products')
      .where({ id: 3 })
      .update({
        name: 'renamed by the catalog',
        price: '99.95',
        updated_at: new Date('2026-12-02T08:00:00.5Z'),
      });

    await until('both writes visible in legacy', async () => {
      const [p] = await chain.shop('products').where({ id: 1_000_001 });
      const [q] = await chain.shop('products').where({ id: 3 });
      return p !== undefined && q?.name === 'renamed by the catalog';
    });
    const status = await caughtUp();
    expect(status.tables.products!.appliedRows).toBe(2);
    expect(status.tables.inventory!.appliedRows).toBe(1);
    const [made] = await chain.shop('products').where({ sku: 'REV-1000001' });
    expect(made).toMatchObject({ name: 'made by the catalog', price: '12.34', category: 'reverse' });
    expect(made.updated_at.toISOString()).toBe('2026-12-01T10:00:00.123Z');
    expect(await chain.shop('inventory').where({ product_id: 1_000_001 }).first()).toMatchObject({
      stock: 7,
    });
    expect((await chain.shop('products').where({ id: 3 }).first()).price).toBe('99.95');

    // Once in legacy: one tagged change per written row on the forward topics, no more.
    await until('the echoes reached the catalog', async () => {
      const m = await (await fetch(`${chain.catalog.base}/metrics`)).text();
      return (
        /catalog_forward_echoes_dropped\{table="products"\} 2\b/.test(m) &&
        /catalog_forward_echoes_dropped\{table="inventory"\} 1\b/.test(m)
      );
    });
    const tagged = (await readTopic(forwardTopic('products'))).filter((v) =>
      String((v as { payload?: { source?: { query?: string } } }).payload?.source?.query ?? '').includes(
        "strangler_origin='reverse-sync'",
      ),
    );
    const ids = tagged.map((v) => Number((v as { payload: { after: { id: number } } }).payload.after.id));
    expect(ids.sort((a, b) => a - b)).toEqual([3, 1_000_001]);
    // Nothing echoed into the store: its topic holds exactly the two writes, and stays so.
    await new Promise((r) => setTimeout(r, 2000));
    expect(await endOffset(storeTopic())).toBe(storeEventsBefore + 2);
    expect(await parity(chain)).toEqual([]);
  }, 240_000);

  it('SIGKILL of the reverse applier, the store connector and the catalog loses and doubles nothing', async () => {
    const writes = 240;
    const ids: number[] = [];
    let done = 0;
    const writer = (async () => {
      for (let i = 0; i < writes; i++) {
        const id = 1_100_000 + i;
        ids.push(id);
        await chain.store('catalog_products').insert(storeRow(id, `bulk ${i}`, i));
        // and an update of an older row, so rows change more than once
        if (i > 0)
          await chain
            .store('catalog_products')
            .where({ id: id - 1 })
            .update({ name: `bulk ${i - 1} v2`, stock: 1000 + i });
        done++;
        await new Promise((r) => setTimeout(r, 15));
      }
    })();
    const killAndRestart = async (what: string, kill: () => Promise<unknown>, start: () => Promise<void>) => {
      await until(`writes going on before killing ${what}`, () => done > 20);
      await kill();
      await new Promise((r) => setTimeout(r, 300));
      await start();
    };
    await killAndRestart(
      'the reverse applier',
      () => chain.reverse.proc.stop('SIGKILL'),
      () => chain.reverse.start(),
    );
    await until('more writes', () => done > 90);
    await killAndRestart(
      'the store connector',
      () => chain.storeConnector.proc.stop('SIGKILL'),
      () => chain.storeConnector.start(),
    );
    await until('more writes', () => done > 160);
    await killAndRestart(
      'the catalog',
      () => chain.catalog.proc.stop('SIGKILL'),
      () => chain.restartCatalog(),
    );
    await until('more writes', () => done > 200);
    await killAndRestart(
      'the reverse applier again',
      () => chain.reverse.proc.stop('SIGKILL'),
      () => chain.reverse.start(),
    );
    await writer;
    await caughtUp();
    expect(await parity(chain)).toEqual([]);
    // every write present exactly once
    const rows = await chain.shop('products').whereIn('id', ids).select('id', 'sku', 'name');
    expect(rows).toHaveLength(writes);
    const skus = await chain.shop('products').where('sku', 'like', 'REV-11%').count({ n: '*' });
    expect(Number(skus[0]!.n)).toBe(writes);
    expect(rows.filter((r) => r.name !== `bulk ${Number(r.id) - 1_100_000} v2`).map((r) => r.id)).toEqual([
      1_100_000 + writes - 1,
    ]);
    const stock = await chain
      .shop('inventory')
      .whereIn('product_id', ids)
      .orderBy('product_id')
      .pluck('stock');
    expect(stock).toEqual(ids.map((_, i) => (i === writes - 1 ? i : 1001 + i)));
    const status = await reverse().status();
    expect(Object.keys(status.counters.deadLetteredByReason)).toEqual([]);
  }, 600_000);

  it('rejects bad store events with typed errors and keeps applying', async () => {
    interface Envelope {
      payload: {
        source: Record<string, unknown>;
        after: Record<string, unknown>;
        before: unknown;
        op: string;
      };
    }
    const [last] = (await readRecords(storeTopic())).filter((r) => r.value.payload).slice(-1);
    const real = last!.value as unknown as Envelope;
    const realKey = last!.key as { payload: Record<string, unknown> };
    const forge = (edit: (p: Envelope['payload']) => void, id: number) => {
      const copy = structuredClone(real);
      // a create of a row of its own: the key check compares the images with the row's key
      copy.payload.after.id = id;
      copy.payload.before = null;
      copy.payload.op = 'c';
      edit(copy.payload);
      const key = structuredClone(realKey);
      key.payload.id = id;
      return { key: JSON.stringify(key), value: JSON.stringify(copy) };
    };
    const producer = kafka.producer();
    await producer.connect();
    const file = String(real.payload.source.file);
    await producer.send({
      topic: storeTopic(),
      acks: -1,
      messages: [
        forge((p) => {
          p.source.table = 'catalog_secrets';
        }, 1_200_001),
        forge((p) => {
          p.source.pos = 9_000_000_000;
        }, 1_200_002),
        forge((p) => {
          delete p.source.file;
          delete p.source.pos;
        }, 1_200_003),
        forge((p) => {
          p.after.name = null;
          p.source.file = file;
        }, 1_200_004),
      ],
    });
    await producer.disconnect();
    let status: ReverseStatus | undefined;
    await until('four dead letters', async () => {
      status = await reverse().status();
      return Object.values(status.counters.deadLetteredByReason).reduce((a, b) => a + b, 0) >= 4;
    });
    expect(status!.counters.deadLetteredByReason).toEqual({
      CDC_ERR_EVENT_MISROUTED: 1,
      CDC_ERR_POSITION_AHEAD: 1,
      CDC_ERR_EVENT_SHAPE: 1,
      REVERSE_ERR_UNMAPPABLE_ROW: 1,
    });
    expect(await chain.shop('products').whereBetween('id', [1_200_000, 1_200_010]).count({ n: '*' })).toEqual(
      [{ n: 0 }],
    );
    // a real write after them still lands
    await chain.store('catalog_products').where({ id: 5 }).update({ name: 'after the poison' });
    await until(
      'the later write in legacy',
      async () => (await chain.shop('products').where({ id: 5 }).first())?.name === 'after the poison',
    );
  }, 240_000);

  it('a legacy write to an owned table without the tag raises the second-writer alarm', async () => {
    const before = await chain.store('catalog_products').where({ id: 6 }).first();
    await chain.shop.raw("UPDATE products SET name = 'rogue batch job' WHERE id = 6");
    let alarm: Awaited<ReturnType<ReturnType<typeof ownership>['get']>> | undefined;
    await until('the catalog saw the second writer', async () => {
      alarm = await ownership().get();
      return alarm.secondWriters.products !== undefined;
    });
    expect(alarm!.secondWriters.products).toMatchObject({ changes: 1, lastWriter: 'untagged' });
    expect(alarm!.secondWriters.products!.lastStatement).toContain('rogue batch job');
    expect(alarm!.secondWriters.inventory).toBeUndefined();
    // a route of the monolith is a second writer too, named by its tag
    const res = await call(chain.monolith.base, 'PUT', '/products/7/stock', { stock: 4242 });
    expect(res.status).toBe(200);
    await until(
      'the route named',
      async () => (await ownership().get()).secondWriters.inventory?.lastWriter === 'PUT /products/:id/stock',
    );
    const metrics = await (await fetch(`${chain.catalog.base}/metrics`)).text();
    expect(metrics).toMatch(/catalog_second_writer_changes\{table="products"\} 1\b/);
    expect(metrics).toMatch(/catalog_second_writer_changes\{table="inventory"\} 1\b/);
    const status = await reverse().status();
    expect(status.status).toBe('degraded');
    expect(status.tables.products!.secondWriters).toBe(1);
    expect(await (await fetch(`${chain.reverse.base}/metrics`)).text()).toMatch(
      /reverse_sync_second_writer_changes\{table="products"\} 1\b/,
    );
    // forward apply is off for an owned table: the store kept what the catalog wrote
    expect((await chain.store('catalog_products').where({ id: 6 }).first()).name).toBe(before.name);
    // giving the tables back turns forward apply on and clears the alarm
    await reverse().disable(owned);
    expect(await ownership().set([])).toEqual({ owned: [], since: null, secondWriters: {} });
  }, 240_000);
});
