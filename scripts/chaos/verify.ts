import type { Knex } from 'knex';
import { createMysqlKnex } from '../../lib/knex-mysql.ts';
import type { TableCheck } from '../rehearsal/figures.ts';
import { storeMappings } from '../rehearsal/live/store-mappings.ts';
import { compareTable } from '../rehearsal/live/table-checksum.ts';
import type { Cluster } from './cluster.ts';
import { caughtUp, legacyPosition } from './positions.ts';
import type { AcknowledgedOrder } from './writes.ts';

export interface StoreCheck extends TableCheck {
  store: 'catalog' | 'orders';
}

/** Acknowledged orders checked one by one against legacy and the orders store. */
export interface OrderCheck {
  checked: number;
  /** Acknowledged (201) but not in legacy, or with fewer lines or units than were sent. */
  lostInLegacy: number;
  /** More lines or units than were sent: the order applied twice, in legacy or in the store. */
  doubled: number;
  examples: string[];
}

export interface Verification {
  /** Load end → every store had applied all legacy had committed; undefined: timed out. */
  catchUpMs?: number;
  tables: StoreCheck[];
  orders: OrderCheck;
  /** Legacy rows missing from a store after catch-up, plus acknowledged orders legacy lacks. */
  lost: number;
  /** Rows present on both sides with different values. */
  wrong: number;
  /** Store rows legacy does not have, plus orders whose lines were applied twice. */
  duplicates: number;
  examples: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function linesByOrder(
  db: Knex,
  table: string,
  ids: number[],
  where = '',
): Promise<Map<number, { n: number; q: number }>> {
  const out = new Map<number, { n: number; q: number }>();
  for (let i = 0; i < ids.length; i += 1000) {
    const chunk = ids.slice(i, i + 1000);
    const [rows] = (await db.raw(
      `SELECT order_id AS id, COUNT(*) AS n, SUM(quantity) AS q FROM \`${table}\` WHERE order_id IN (${chunk.map(() => '?').join(',')})${where} GROUP BY order_id`,
      chunk,
    )) as [{ id: number; n: number; q: string | number }[]];
    for (const r of rows) out.set(Number(r.id), { n: Number(r.n), q: Number(r.q) });
  }
  return out;
}

/** Each acknowledged order against legacy and the orders store: lines lost, or applied twice. */
export async function checkOrders(
  legacy: Knex,
  store: Knex,
  acknowledged: Map<number, AcknowledgedOrder>,
): Promise<OrderCheck> {
  const ids = [...acknowledged.keys()];
  const inLegacy = await linesByOrder(legacy, 'order_items', ids);
  const inStore = await linesByOrder(store, 'ord_items', ids, ' AND deleted = 0');
  const check: OrderCheck = { checked: ids.length, lostInLegacy: 0, doubled: 0, examples: [] };
  const example = (line: string) => {
    if (check.examples.length < 3) check.examples.push(line);
  };
  for (const [id, sent] of acknowledged) {
    const l = inLegacy.get(id);
    if (!l || l.n < sent.lines || l.q < sent.quantity) {
      check.lostInLegacy++;
      example(`order ${id}: acknowledged with ${sent.lines} lines, legacy has ${l?.n ?? 0}`);
    }
    for (const [side, got] of [
      ['legacy', l],
      ['orders store', inStore.get(id)],
    ] as const) {
      if (got && (got.n > sent.lines || got.q > sent.quantity)) {
        check.doubled++;
        example(
          `order ${id}: sent ${sent.lines} lines / ${sent.quantity} units, ${side} has ${got.n} / ${got.q}`,
        );
      }
    }
  }
  return check;
}

/**
 * After the load and every restart: waits until both stores have applied everything legacy
 * committed (the connector's acknowledged position past legacy's binlog end, then nothing left
 * in Kafka for either service), then compares every copied table row by row with the
 * rehearsal's own checksums (scripts/rehearsal/live/), and every acknowledged order line by line.
 */
export async function verify(options: {
  cluster: Pick<Cluster, 'serverUrl' | 'databases' | 'urls'>;
  acknowledgedOrders: Map<number, AcknowledgedOrder>;
  catchUpTimeoutMs: number;
  log: (line: string) => void;
}): Promise<Verification> {
  const { cluster } = options;
  const legacy = createMysqlKnex(cluster.serverUrl, cluster.databases.shop, { min: 0, max: 2 });
  const stores = {
    catalog: createMysqlKnex(cluster.serverUrl, cluster.databases.catalog, { min: 0, max: 2 }),
    orders: createMysqlKnex(cluster.serverUrl, cluster.databases.orders, { min: 0, max: 2 }),
  };
  try {
    const started = performance.now();
    const target = await legacyPosition(legacy);
    let catchUpMs: number | undefined;
    while (performance.now() - started < options.catchUpTimeoutMs) {
      if (await caughtUp(cluster.urls, [cluster.urls.catalog, cluster.urls.orders], target)) {
        catchUpMs = Math.round(performance.now() - started);
        break;
      }
      await sleep(200);
    }
    options.log(
      catchUpMs === undefined
        ? `stores not caught up after ${options.catchUpTimeoutMs / 1000} s; comparing anyway`
        : `stores caught up ${catchUpMs} ms after the load`,
    );
    const tables: StoreCheck[] = [];
    for (const [store, mapping] of [
      ['catalog', storeMappings.products!],
      ['orders', storeMappings.orders!],
    ] as const) {
      for (const t of mapping.tables)
        tables.push({ store, ...(await compareTable(legacy, stores[store], t)) });
    }
    const orders = await checkOrders(legacy, stores.orders, options.acknowledgedOrders);
    const sum = (f: (t: StoreCheck) => number) => tables.reduce((s, t) => s + f(t), 0);
    return {
      catchUpMs,
      tables,
      orders,
      lost: sum((t) => t.missing) + orders.lostInLegacy,
      wrong: sum((t) => t.different),
      duplicates: sum((t) => t.extra) + orders.doubled,
      examples: [...tables.flatMap((t) => t.examples), ...orders.examples].slice(0, 8),
    };
  } finally {
    await Promise.all([legacy.destroy(), stores.catalog.destroy(), stores.orders.destroy()]);
  }
}
