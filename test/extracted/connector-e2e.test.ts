import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type IHeaders, Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../cdc/broker/test-broker.ts';
import { seedShop } from '../../legacy-monolith/seed/seed-shop.ts';
import { type ComponentProcess, startComponent } from '../../lib/component-process.ts';
import { freePort } from '../../lib/net.ts';
import { call, type MonolithUnderTest, startMonolithProcess } from '../monolith/support.ts';
import {
  converge,
  getJson,
  productListQueries,
  type ServiceUnderTest,
  startService,
  until,
} from './support.ts';

/**
 * End to end with every part real and separate: monolith → MariaDB binlog → cdc/connector →
 * broker → catalog and orders. Writes go through the monolith API; the services must converge
 * to the monolith's answers for every id and a set of list queries, survive connector
 * re-sends, late events, SIGKILL and poison, and keep answering with the monolith stopped.
 */
const connectorScript = 'cdc/connector/main.ts';

let monolith: MonolithUnderTest;
let broker: TestBroker;
let connector: ComponentProcess;
let connectorEnv: Record<string, string>;
let catalog: ServiceUnderTest;
let orders: ServiceUnderTest;
let producer: Producer;
let kafka: Kafka;
const topicOf = (table: string) => `legacy.${monolith.db.name}.${table}`;

async function startConnector() {
  const port = Number(connectorEnv.CONNECTOR_PORT);
  return startComponent({
    name: 'connector',
    script: connectorScript,
    env: connectorEnv,
    readyUrl: `http://127.0.0.1:${port}/health`,
    readyTimeoutMs: 60_000,
  });
}

async function paths() {
  const ids = async (table: string) => (await monolith.knex(table).select('id')).map((r) => Number(r.id));
  const categories = (await monolith.knex('products').distinct('category')).map((r) => String(r.category));
  return {
    catalog: [
      ...(await ids('products')).map((id) => `/products/${id}`),
      '/products/999999',
      '/products/x',
      ...productListQueries(categories, 11),
    ],
    orders: [
      ...(await ids('orders')).map((id) => `/orders/${id}`),
      '/orders/999999',
      ...(await ids('users')).flatMap((id) => [
        `/users/${id}/orders`,
        `/users/${id}/orders?pageSize=3&page=2`,
      ]),
      '/users/999999/orders',
    ],
  };
}

async function convergeAll(timeoutMs = 90_000) {
  const p = await paths();
  await converge(monolith.base, catalog.base, p.catalog, timeoutMs);
  await converge(monolith.base, orders.base, p.orders, timeoutMs);
}

interface Message {
  topic: string;
  partition: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders | undefined;
}

/** Every record of `topics` up to their current ends, as the connector wrote it. */
async function readAll(topics: string[]): Promise<Message[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<string, bigint>();
  let expected = 0;
  for (const topic of topics)
    for (const o of await admin.fetchTopicOffsets(topic)) {
      ends.set(`${topic}/${o.partition}`, BigInt(o.high));
      expected += Number(o.high) - Number(o.low);
    }
  await admin.disconnect();
  const seen: Message[] = [];
  const reader = kafka.consumer({ groupId: `peek-${Date.now()}` });
  await reader.connect();
  await reader.subscribe({ topics, fromBeginning: true });
  await reader.run({
    eachMessage: async ({ topic, partition, message }) => {
      if (BigInt(message.offset) < (ends.get(`${topic}/${partition}`) ?? 0n))
        seen.push({ topic, partition, key: message.key, value: message.value, headers: message.headers });
    },
  });
  await until(`${expected} records read`, () => seen.length === expected);
  await reader.disconnect();
  return seen;
}

/** Orders placed, paid and cancelled through the monolith API. */
async function shopActivity(round: number) {
  const product = await call(monolith.base, 'POST', '/products', {
    sku: `E2E-${round}-${Date.now()}`,
    name: `E2E widget ${round}`,
    price: '19.99',
    category: 'e2e',
    stock: 50,
    attributes: { round },
  });
  expect(product.status).toBe(201);
  expect(
    (
      await call(monolith.base, 'PATCH', `/products/${product.body.id}`, {
        name: `E2E widget ${round} v2`,
        price: '21.50',
      })
    ).status,
  ).toBe(200);
  expect((await call(monolith.base, 'PUT', '/products/2/stock', { stock: 500 + round })).status).toBe(200);
  const user = await call(monolith.base, 'POST', '/users', {
    email: `e2e${round}-${Date.now()}@example.com`,
    name: `E2E ${round}`,
  });
  expect(user.status).toBe(201);
  for (let i = 0; i < 3; i++) {
    const order = await call(monolith.base, 'POST', '/orders', {
      userId: user.body.id,
      items: [
        { productId: product.body.id, quantity: 1 + i },
        { productId: 2, quantity: 1 },
      ],
    });
    expect(order.status).toBe(201);
    if (i === 1)
      expect(
        (await call(monolith.base, 'POST', `/orders/${order.body.id}/pay`, { method: 'card' })).status,
      ).toBe(200);
    if (i === 2) {
      expect(
        (await call(monolith.base, 'POST', `/orders/${order.body.id}/pay`, { method: 'paypal' })).status,
      ).toBe(200);
      expect((await call(monolith.base, 'POST', `/orders/${order.body.id}/cancel`)).status).toBe(200);
    }
  }
}

describe('extracted services with the real connector (end to end)', () => {
  beforeAll(async () => {
    [monolith, broker] = await Promise.all([startMonolithProcess('e2eshop'), startTestBroker()]);
    await seedShop(monolith.knex, { products: 25, users: 6, orders: 20, seed: 3 });
    connectorEnv = {
      MYSQL_URL: monolith.db.serverUrl,
      SHOP_DB: monolith.db.name,
      KAFKA_BROKERS: broker.brokers.join(','),
      CONNECTOR_PORT: String(await freePort()),
      CONNECTOR_SERVER_ID: String(10_000 + Math.floor(Math.random() * 50_000)),
      // Its own offsets: the default (.data/connector) belongs to `npm start`'s server.
      CONNECTOR_OFFSETS_DIR: await fs.mkdtemp(path.join(os.tmpdir(), 'e2e-offsets-')),
      LOG_LEVEL: 'warn',
    };
    connector = await startConnector();
    const env = {
      MYSQL_URL: monolith.db.serverUrl,
      KAFKA_BROKERS: broker.brokers.join(','),
      SHOP_DB: monolith.db.name,
    };
    [catalog, orders] = await Promise.all([
      startService('catalog', { ...env, CATALOG_DB: `${monolith.db.name}_cat` }),
      startService('orders', { ...env, ORDERS_DB: `${monolith.db.name}_ord` }),
    ]);
    kafka = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING });
    producer = kafka.producer();
    await producer.connect();
  });

  afterAll(async () => {
    await Promise.all([
      catalog?.proc.stop('SIGTERM'),
      orders?.proc.stop('SIGTERM'),
      connector?.stop('SIGTERM'),
    ]);
    await producer?.disconnect();
    for (const db of [`${monolith?.db.name}_cat`, `${monolith?.db.name}_ord`])
      await monolith?.knex.raw(`DROP DATABASE IF EXISTS \`${db}\``).catch(() => undefined);
    await monolith?.stop().catch(() => undefined);
    await broker?.stop();
  });

  it('converges on the snapshot, then on writes through the monolith API', async () => {
    await convergeAll();
    await shopActivity(1);
    await convergeAll();
    const res = await getJson(catalog.base, '/products/1');
    expect(res.headers.get('x-strangler-source-position')).toMatch(/^[^:]+\d+:\d+(:\d+)?$/);
  });

  it('re-sent events (connector SIGKILL and restart) and a range of old events re-produced out of order change nothing', async () => {
    await connector.stop('SIGKILL');
    await shopActivity(2);
    connector = await startConnector();
    await convergeAll();
    // Every event so far of the topics whose rows have changed since (products renamed, stock
    // moved, orders paid and cancelled, payments refunded), read back as the connector wrote them.
    const tables = ['products', 'inventory', 'orders', 'payments'];
    const old = await readAll(tables.map(topicOf));
    // Per row, every event but its last: all strictly older than the row they touch. Sent apart
    // from the newest ones, or the batch's own newest-per-key pick would hide a broken guard.
    const lastOfRow = new Map<string, Message>();
    for (const m of old) lastOfRow.set(`${m.topic}|${String(m.key)}`, m);
    const newest = new Set(lastOfRow.values());
    const stale = old.filter((m) => !newest.has(m) && m.value !== null);
    // The stale set must hold images that differ from today's rows, or this test could not fail:
    // round 1's product under its first name, and pending versions of orders cancelled since.
    const afterImage = (m: Message): Record<string, unknown> | null => {
      const v = m.value === null ? null : JSON.parse(String(m.value));
      return (v?.payload ?? v)?.after ?? null;
    };
    const cancelled = new Set(
      (await monolith.knex('orders').where({ status: 'cancelled' }).select('id')).map((r) => Number(r.id)),
    );
    expect(stale.some((m) => m.topic === topicOf('products') && afterImage(m)?.name === 'E2E widget 1')).toBe(
      true,
    );
    expect(
      stale.some(
        (m) =>
          m.topic === topicOf('orders') &&
          afterImage(m)?.status === 'pending' &&
          cancelled.has(Number(afterImage(m)?.id)),
      ),
    ).toBe(true);
    const health = async (base: string) =>
      (await getJson(base, '/health')).body as {
        projection: { eventsBehind: number; counters: { applied: number } };
      };
    const caughtUp = () =>
      until('re-produced events consumed', async () => {
        const [c, o] = await Promise.all([health(catalog.base), health(orders.base)]);
        return c.projection.eventsBehind === 0 && o.projection.eventsBehind === 0;
      });
    const reproduce = (messages: Message[]) =>
      producer.sendBatch({
        acks: -1,
        topicMessages: tables.map((t) => ({
          topic: topicOf(t),
          messages: messages
            .filter((m) => m.topic === topicOf(t))
            .map(({ partition, key, value, headers }) => ({ partition, key, value, headers })),
        })),
      });
    const catalogTopics = [topicOf('products'), topicOf('inventory')];
    const appliedBefore = (await health(catalog.base)).projection.counters.applied;
    // 1. The whole range again, in order, on each record's own partition (a connector re-send).
    await reproduce(old);
    await caughtUp();
    await convergeAll(30_000);
    // 2. The stale events once more, newest first: late and out of order.
    await reproduce([...stale].reverse());
    await caughtUp();
    // The catalog really handled them (none was skipped as an already-applied offset).
    const handled = old.filter((m) => m.value !== null && catalogTopics.includes(m.topic)).length;
    const staleHandled = stale.filter((m) => catalogTopics.includes(m.topic)).length;
    expect((await health(catalog.base)).projection.counters.applied - appliedBefore).toBeGreaterThanOrEqual(
      handled + staleHandled,
    );
    await convergeAll(30_000);
  });

  it('poison event → dead-letter topic, progress continues', async () => {
    await producer.send({
      topic: topicOf('orders'),
      messages: [{ key: '{"id":1}', value: 'not json at all' }],
    });
    await shopActivity(3);
    await convergeAll();
    const health = (await getJson(orders.base, '/health')).body as {
      projection: { counters: { deadLettered: number } };
    };
    expect(health.projection.counters.deadLettered).toBeGreaterThanOrEqual(1);
    const admin = kafka.admin();
    await admin.connect();
    const [dlq] = await admin.fetchTopicOffsets(`${topicOf('orders')}.dlq`);
    await admin.disconnect();
    expect(Number(dlq!.high)).toBeGreaterThanOrEqual(1);
  });

  it('SIGKILL of a service under write load, restart → converges; monolith stopped → services still answer', async () => {
    const load = shopActivity(4);
    await new Promise((r) => setTimeout(r, 150));
    await orders.proc.stop('SIGKILL');
    await load;
    orders = await startService('orders', orders.env, { port: orders.port });
    await convergeAll();
    const p = await paths();
    const sample = [
      ...p.catalog.slice(0, 8).map((x) => [catalog.base, x]),
      ...p.orders.slice(0, 8).map((x) => [orders.base, x]),
    ] as [string, string][];
    const before = await Promise.all(sample.map(([b, x]) => getJson(b, x)));
    await monolith.proc.stop('SIGTERM');
    const after = await Promise.all(sample.map(([b, x]) => getJson(b, x)));
    expect(after.map((r) => [r.status, r.body])).toEqual(before.map((r) => [r.status, r.body]));
  });
});
