import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../cdc/broker/test-broker.ts';
import {
  debeziumMessage,
  publishSnapshot,
  writtenBinlog,
} from '../../extracted/service-kit/testing/debezium-publisher.ts';
import { seedShop } from '../../legacy-monolith/seed/seed-shop.ts';
import { waitFor } from '../../lib/net.ts';
import { call, type MonolithUnderTest, startMonolithProcess } from '../monolith/support.ts';
import {
  converge,
  expectSameAnswers,
  getJson,
  productListQueries,
  type ServiceUnderTest,
  startService,
  until,
} from './support.ts';

/**
 * The catalog and orders services (real processes) fed with events in the documented Debezium
 * format (JsonConverter with schemas), built from the monolith's own rows: after a snapshot and
 * streamed changes, every answer equals the monolith's. Re-delivered and older events change
 * nothing, poison goes to the DLQ, SIGKILL + restart converges, the monolith can be stopped.
 */
let monolith: MonolithUnderTest;
let broker: TestBroker;
let producer: Producer;
let catalog: ServiceUnderTest;
let orders: ServiceUnderTest;
const prefix = `t${randomBytes(3).toString('hex')}`;
let env: Record<string, string>;
let pos = 1000;
/** Binlog positions for the events this test writes, always increasing. */
const nextPos = (step: number) => {
  pos += step;
  return pos;
};
/** A binlog file of the test server with enough written that the positions below are real (beforeAll). */
let file = '';

async function publishRow(
  table: string,
  where: Record<string, unknown>,
  op: 'c' | 'u' = 'u',
  at = nextPos(100),
) {
  const rows = await monolith.knex(table).where(where).select();
  await producer.send({
    topic: `${prefix}.${monolith.db.name}.${table}`,
    acks: -1,
    messages: rows.map((r, i) =>
      debeziumMessage(prefix, monolith.db.name, table, op, r, { file, pos: at, row: i }),
    ),
  });
}

async function allPaths() {
  const products = (await monolith.knex('products').select('id')).map((r) => Number(r.id));
  const categories = (await monolith.knex('products').distinct('category')).map((r) => String(r.category));
  const users = (await monolith.knex('users').select('id')).map((r) => Number(r.id));
  const orderIds = (await monolith.knex('orders').select('id')).map((r) => Number(r.id));
  return {
    catalog: [
      ...products.map((id) => `/products/${id}`),
      '/products/999999',
      '/products/abc',
      '/products/0',
      ...productListQueries(categories),
    ],
    orders: [
      ...orderIds.map((id) => `/orders/${id}`),
      '/orders/999999',
      '/orders/x1',
      ...users.flatMap((id) => [`/users/${id}/orders`, `/users/${id}/orders?pageSize=2&page=2`]),
      '/users/999999/orders',
      '/users/1/orders?pageSize=0',
      '/users/1/orders?foo=1',
    ],
  };
}

beforeAll(async () => {
  [monolith, broker] = await Promise.all([startMonolithProcess('xshop'), startTestBroker()]);
  await seedShop(monolith.knex, { products: 30, users: 8, orders: 25, seed: 7 });
  const kafka = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING });
  producer = kafka.producer();
  await producer.connect();
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: ['users', 'products', 'inventory', 'orders', 'order_items', 'payments'].flatMap((t) => [
      { topic: `${prefix}.${monolith.db.name}.${t}`, numPartitions: 1 },
      { topic: `${prefix}.${monolith.db.name}.${t}.dlq`, numPartitions: 1 },
    ]),
  });
  await admin.disconnect();
  file = await writtenBinlog(monolith.db.serverUrl);
  await publishSnapshot(producer, monolith.knex, prefix, monolith.db.name, { file, pos: 4 });
  env = {
    MYSQL_URL: monolith.db.serverUrl,
    KAFKA_BROKERS: broker.brokers.join(','),
    CDC_TOPIC_PREFIX: prefix,
    SHOP_DB: monolith.db.name,
  };
  [catalog, orders] = await Promise.all([
    startService('catalog', { ...env, CATALOG_DB: `${monolith.db.name}_cat` }),
    startService('orders', { ...env, ORDERS_DB: `${monolith.db.name}_ord` }),
  ]);
});

afterAll(async () => {
  await catalog?.proc.stop('SIGTERM');
  await orders?.proc.stop('SIGTERM');
  await producer?.disconnect();
  for (const db of [`${monolith?.db.name}_cat`, `${monolith?.db.name}_ord`])
    await monolith?.knex.raw(`DROP DATABASE IF EXISTS \`${db}\``).catch(() => undefined);
  await monolith?.stop();
  await broker?.stop();
});

describe('extracted services on documented Debezium events', () => {
  it('converge on the snapshot and answer every seeded id and list query exactly as the monolith', async () => {
    const paths = await allPaths();
    await converge(monolith.base, catalog.base, paths.catalog);
    await converge(monolith.base, orders.base, paths.orders);
    const res = await getJson(catalog.base, '/products/1');
    expect(res.headers.get('x-strangler-source-position')).toBe(`${file}:4`);
    expect(Number(res.headers.get('x-strangler-source-ts'))).toBeGreaterThan(0);
    const health = (await getJson(orders.base, '/health')).body as { projection: { eventsBehind: number } };
    expect(health.projection.eventsBehind).toBe(0);
  });

  it('follows streamed changes; re-delivered and older events change nothing', async () => {
    const patched = await call(monolith.base, 'PATCH', '/products/3', {
      name: 'Renamed Mug',
      price: '77.70',
    });
    expect(patched.status).toBe(200);
    await publishRow('products', { id: 3 });
    const newPos = pos;
    const order = await call(monolith.base, 'POST', '/orders', {
      userId: 2,
      items: [{ productId: 3, quantity: 2 }],
    });
    expect(order.status).toBe(201);
    await publishRow('orders', { id: order.body.id }, 'c');
    await publishRow('order_items', { order_id: order.body.id }, 'c');
    await publishRow('inventory', { product_id: 3 });
    const paths = await allPaths();
    await converge(monolith.base, catalog.base, paths.catalog);
    await converge(monolith.base, orders.base, paths.orders);
    // The old name arrives late (older position) and the new one again (duplicate): no change.
    const old = { ...(await monolith.knex('products').where({ id: 3 }).first()), name: 'Stale name' };
    await producer.send({
      topic: `${prefix}.${monolith.db.name}.products`,
      messages: [
        debeziumMessage(prefix, monolith.db.name, 'products', 'u', old, { file, pos: newPos - 50 }),
        debeziumMessage(prefix, monolith.db.name, 'products', 'u', old, { file, pos: newPos }),
      ],
    });
    await publishRow('users', { id: 1 }, 'u', 5); // a re-sent snapshot-era event
    await until('late events consumed', async () => {
      const h = (await getJson(catalog.base, '/health')).body as { projection: { eventsBehind: number } };
      return h.projection.eventsBehind === 0;
    });
    await expectSameAnswers(monolith.base, catalog.base, paths.catalog);
    await expectSameAnswers(monolith.base, orders.base, paths.orders);
  });

  it('dead-letters a poison event and keeps projecting', async () => {
    const topic = `${prefix}.${monolith.db.name}.products`;
    await producer.send({
      topic,
      messages: [{ value: '{"payload": {"op": "c", "after": {"id": 5, "price": "not-base64!!"}' }],
    });
    await call(monolith.base, 'PUT', '/products/5/stock', { stock: 4321 });
    await publishRow('inventory', { product_id: 5 });
    await converge(monolith.base, catalog.base, ['/products/5']);
    const health = (await getJson(catalog.base, '/health')).body as {
      projection: { counters: { deadLettered: number } };
    };
    expect(health.projection.counters.deadLettered).toBe(1);
  });

  it('/health reports lagMs while an apply is held up, and 0 once caught up', async () => {
    type Health = {
      projection: {
        eventsBehind: number;
        lagMs: number;
        topics: { topic: string; eventsBehind: number; sourceTsMs: number | null }[];
      };
    };
    const health = async () => (await getJson(catalog.base, '/health')).body as Health;
    const topic = `${prefix}.${monolith.db.name}.products`;
    await until('catalog caught up', async () => (await health()).projection.eventsBehind === 0);
    expect((await health()).projection.lagMs).toBe(0);
    // The test holds product 6's read-model row: the catalog's next apply waits for the lock.
    const lock = await monolith.knex.transaction();
    try {
      await lock(`${catalog.database}.catalog_products`).where({ id: 6 }).forUpdate();
      await publishRow('products', { id: 6 });
      const seen = await waitFor(
        'the products update seen but not applied',
        async () => {
          const from = Date.now();
          const h = await health();
          const to = Date.now();
          if (h.projection.eventsBehind < 1) throw new Error('not yet');
          return { h, from, to };
        },
        { timeoutMs: 20_000, intervalMs: 100 },
      );
      // lagMs = now − the source time of the newest applied products event, read during the call.
      const applied = seen.h.projection.topics.find((t) => t.topic === topic)!.sourceTsMs!;
      expect(seen.h.projection.lagMs).toBeGreaterThan(0);
      expect(seen.h.projection.lagMs).toBeGreaterThanOrEqual(seen.from - applied);
      expect(seen.h.projection.lagMs).toBeLessThanOrEqual(seen.to - applied);
    } finally {
      await lock.rollback();
    }
    await until('caught up again', async () => (await health()).projection.eventsBehind === 0);
    expect((await health()).projection.lagMs).toBe(0);
  });

  it('converges after SIGKILL mid-batch and restart, and keeps answering with the monolith stopped', async () => {
    await call(monolith.base, 'PATCH', '/products/7', { name: 'After the crash' });
    // A long burst: 40 intermediate versions of every product, then the real row last.
    const topic = `${prefix}.${monolith.db.name}.products`;
    const products = await monolith.knex('products').select();
    const burst = [];
    for (let v = 0; v < 40; v++) {
      for (const p of products)
        burst.push(
          debeziumMessage(
            prefix,
            monolith.db.name,
            'products',
            'u',
            { ...p, name: `draft ${v}` },
            { file, pos: nextPos(10) },
          ),
        );
    }
    for (const p of products)
      burst.push(debeziumMessage(prefix, monolith.db.name, 'products', 'u', p, { file, pos: nextPos(10) }));
    const health = async () =>
      (await getJson(catalog.base, '/health')).body as {
        projection: { eventsBehind: number; counters: { applied: number } };
      };
    const appliedBefore = (await health()).projection.counters.applied;
    for (let i = 0; i < burst.length; i += 200)
      await producer.send({ topic, acks: -1, messages: burst.slice(i, i + 200) });
    await until(
      'part of the burst applied',
      async () => (await health()).projection.counters.applied > appliedBefore,
      30_000,
    );
    await catalog.proc.stop('SIGKILL');
    catalog = await startService('catalog', catalog.env, { port: catalog.port });
    const paths = await allPaths();
    await converge(monolith.base, catalog.base, paths.catalog);
    const before = await Promise.all(paths.catalog.slice(0, 10).map((p) => getJson(catalog.base, p)));
    await monolith.proc.stop('SIGTERM');
    const after = await Promise.all(paths.catalog.slice(0, 10).map((p) => getJson(catalog.base, p)));
    expect(after.map((r) => [r.status, r.body])).toEqual(before.map((r) => [r.status, r.body]));
    expect((await getJson(orders.base, '/orders/1')).status).toBe(200);
  });
  it('rebuild empties the store and replays the topics from the start to the same answers', async () => {
    const health = async () =>
      (await getJson(orders.base, '/health')).body as {
        projection: { eventsBehind: number; counters: { applied: number } };
      };
    await until(
      'orders caught up before the rebuild',
      async () => (await health()).projection.eventsBehind === 0,
    );
    const paths = (await allPaths()).orders;
    const answers = () => Promise.all(paths.map(async (p) => [p, await getJson(orders.base, p)] as const));
    const before = (await answers()).map(([p, r]) => [p, r.status, r.body]);
    // A row no event wrote, planted in the read model: only emptying the store removes it.
    await monolith.knex.raw(
      `INSERT INTO \`${orders.database}\`.ord_orders (id, user_id, status, total, currency, created_at, updated_at, deleted, src_pos)
       VALUES (999999, 1, 'paid', 1.00, 'EUR', NOW(3), NOW(3), 0, 'zzzz')`,
    );
    expect((await getJson(orders.base, '/orders/999999')).status).toBe(200);
    await orders.proc.stop('SIGTERM');
    orders = await startService('orders', orders.env, { port: orders.port, args: ['rebuild'] });
    await until('replayed', async () => {
      const h = await health();
      return h.projection.eventsBehind === 0 && h.projection.counters.applied > 0;
    });
    const rows = await Promise.all(
      ['users', 'products', 'orders', 'order_items', 'payments'].map(async (t) =>
        Number((await monolith.knex(t).count({ n: '*' }))[0]!.n),
      ),
    );
    // Every snapshot row was applied again (plus the streamed changes of the earlier tests).
    expect((await health()).projection.counters.applied).toBeGreaterThanOrEqual(
      rows.reduce((a, b) => a + b, 0),
    );
    // The monolith is stopped (previous test): the rebuilt store answers as the old one did.
    expect((await answers()).map(([p, r]) => [p, r.status, r.body])).toEqual(before);
  });
});
