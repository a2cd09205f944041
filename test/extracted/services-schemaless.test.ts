import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../cdc/broker/test-broker.ts';
import {
  debeziumMessage,
  publishSnapshot,
  writtenBinlog,
} from '../../extracted/service-kit/testing/debezium-publisher.ts';
import { seedShop } from '../../legacy-monolith/seed/seed-shop.ts';
import { call, type MonolithUnderTest, startMonolithProcess } from '../monolith/support.ts';
import { converge, productListQueries, type ServiceUnderTest, startService } from './support.ts';

/**
 * The same services on JsonConverter output with schemas.enable=false: no scale in the
 * message for DECIMAL columns, epoch ms for DATETIME, strings for TIMESTAMP. The projections'
 * column hints must give exactly the monolith's answers.
 */
let monolith: MonolithUnderTest;
let broker: TestBroker;
let producer: Producer;
let catalog: ServiceUnderTest;
let orders: ServiceUnderTest;
const prefix = `s${randomBytes(3).toString('hex')}`;

let file = '';
beforeAll(async () => {
  [monolith, broker] = await Promise.all([startMonolithProcess('sshop'), startTestBroker()]);
  await seedShop(monolith.knex, { products: 20, users: 5, orders: 15, seed: 9 });
  producer = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  const env = {
    MYSQL_URL: monolith.db.serverUrl,
    KAFKA_BROKERS: broker.brokers.join(','),
    CDC_TOPIC_PREFIX: prefix,
    SHOP_DB: monolith.db.name,
  };
  [catalog, orders] = await Promise.all([
    startService('catalog', { ...env, CATALOG_DB: `${monolith.db.name}_cat` }),
    startService('orders', { ...env, ORDERS_DB: `${monolith.db.name}_ord` }),
  ]);
  // positions the test server has written: the services dead-letter any beyond them
  file = await writtenBinlog(monolith.db.serverUrl);
  await publishSnapshot(
    producer,
    monolith.knex,
    prefix,
    monolith.db.name,
    { file, pos: 4 },
    { schemas: false },
  );
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

describe('extracted services on schema-less Debezium events', () => {
  it('answer every id and list query as the monolith, before and after a streamed change', async () => {
    const ids = async (t: string) => (await monolith.knex(t).select('id')).map((r) => Number(r.id));
    const categories = (await monolith.knex('products').distinct('category')).map((r) => String(r.category));
    const catalogPaths = async () => [
      ...(await ids('products')).map((id) => `/products/${id}`),
      ...productListQueries(categories, 3),
    ];
    const orderPaths = async () => [
      ...(await ids('orders')).map((id) => `/orders/${id}`),
      ...(await ids('users')).map((id) => `/users/${id}/orders`),
    ];
    await converge(monolith.base, catalog.base, await catalogPaths());
    await converge(monolith.base, orders.base, await orderPaths());
    await call(monolith.base, 'PATCH', '/products/4', {
      price: '1234.05',
      name: 'Schemaless lamp',
      attributes: { big: 9007199254740991, nested: { a: [1, 2] } },
    });
    const row = await monolith.knex('products').where({ id: 4 }).first();
    await producer.send({
      topic: `${prefix}.${monolith.db.name}.products`,
      messages: [
        debeziumMessage(
          prefix,
          monolith.db.name,
          'products',
          'u',
          row,
          { file, pos: 900 },
          { schemas: false },
        ),
      ],
    });
    await converge(monolith.base, catalog.base, await catalogPaths());
    await converge(monolith.base, orders.base, await orderPaths());
  });
});
