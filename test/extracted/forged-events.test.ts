import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../cdc/broker/test-broker.ts';
import { debeziumMessage, writtenBinlog } from '../../extracted/service-kit/testing/debezium-publisher.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { getJson, type ServiceUnderTest, startService, until } from './support.ts';

/**
 * The catalog service (a real process) fed forged and misrouted events on its own products
 * topic: another table's row, another database's row, a position the source server never
 * wrote, a null name, a bare row without a position, a key naming another row. Each goes to the DLQ with its reason, the answers stay
 * what they were, and a later real change still lands (no row is pinned). The source server
 * is the test MariaDB, the service's MYSQL_URL.
 */
let broker: TestBroker;
let store: TestDatabase;
let producer: Producer;
let catalog: ServiceUnderTest;
let file = '';
const prefix = `forge${randomBytes(3).toString('hex')}`;
const topic = `${prefix}.shop.products`;
const at = new Date('2024-01-01T00:00:00Z');
const product = (id: number, name: string, price = '9.99') => ({
  id,
  sku: `SKU-${id}`,
  name,
  description: 'd',
  price,
  category: 'tools',
  attributes: '{}',
  created_at: at,
  updated_at: at,
});

/** A Debezium message whose payload is then edited (what a forger or a misrouting would send). */
function forged(
  row: Record<string, unknown>,
  position: { file: string; pos: number; row?: number },
  edit: (payload: { source: Record<string, unknown>; after: Record<string, unknown> }) => void = () => {},
) {
  const message = debeziumMessage(prefix, 'shop', 'products', 'u', row, position);
  const value = JSON.parse(message.value);
  edit(value.payload);
  return { key: message.key, value: JSON.stringify(value) };
}

beforeAll(async () => {
  [broker, store] = await Promise.all([startTestBroker(), createTestDatabase('forge')]);
  file = await writtenBinlog(store.serverUrl);
  producer = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  await producer.send({
    topic,
    acks: -1,
    messages: [1, 2, 3].map((id) =>
      debeziumMessage(prefix, 'shop', 'products', 'r', product(id, `product ${id}`), {
        file,
        pos: 4,
        snapshot: true,
      }),
    ),
  });
  catalog = await startService('catalog', {
    MYSQL_URL: store.serverUrl,
    KAFKA_BROKERS: broker.brokers.join(','),
    CDC_TOPIC_PREFIX: prefix,
    SHOP_DB: 'shop',
    CATALOG_DB: store.name,
  });
  await until('the snapshot applied', async () => (await fetch(`${catalog.base}/products/3`)).status === 200);
});

afterAll(async () => {
  await catalog?.proc.stop('SIGTERM');
  await producer?.disconnect();
  await broker?.stop();
  await store?.drop();
});

interface Health {
  sourcePosition: string | null;
  projection: {
    eventsBehind: number;
    counters: { applied: number; deadLettered: number; deadLetteredByReason: Record<string, number> };
  };
}

describe('the catalog fed forged events', () => {
  it('dead-letters each with its reason, answers as before, and still applies a later real change', async () => {
    const answers = async () =>
      Promise.all([1, 2, 3].map(async (id) => (await getJson(catalog.base, `/products/${id}`)).body));
    const before = await answers();
    expect(before.map((p) => (p as { name: string }).name)).toEqual(['product 1', 'product 2', 'product 3']);

    await producer.send({
      topic,
      acks: -1,
      messages: [
        forged(product(1, 'FORGED: another table'), { file, pos: 100 }, (p) => {
          p.source.table = 'no_such_table';
        }),
        forged(product(2, 'FORGED: another database'), { file, pos: 100 }, (p) => {
          p.source.db = 'otherdb';
        }),
        forged(product(3, 'PINNED'), { file: 'binlog.999999', pos: 4 }),
        forged(product(1, 'FORGED: no name'), { file, pos: 100 }, (p) => {
          p.after.name = null;
        }),
        // a bare row without envelope or position (ordered by offset, it would pin product 2)
        { key: JSON.stringify({ id: 2 }), value: JSON.stringify({ id: 2, name: 'PINNED bare' }) },
        // the key names product 2, the row is product 1
        {
          key: forged(product(2, 'x'), { file, pos: 100 }).key,
          value: forged(product(1, 'FORGED: key'), { file, pos: 100 }).value,
        },
      ],
    });
    await until('the forged events dead-lettered', async () => {
      const health = (await getJson(catalog.base, '/health')).body as Health;
      return health.projection.counters.deadLettered >= 6 && health.projection.eventsBehind === 0;
    });
    const health = (await getJson(catalog.base, '/health')).body as Health;
    expect(health.projection.counters.deadLetteredByReason).toEqual({
      CDC_ERR_EVENT_MISROUTED: 2,
      CDC_ERR_POSITION_AHEAD: 1,
      CDC_ERR_EVENT_TYPE: 1,
      CDC_ERR_EVENT_KEY: 1,
      CDC_ERR_EVENT_SHAPE: 1,
    });
    expect(await answers()).toEqual(before);
    expect(health.sourcePosition).not.toContain('999999');

    // A real change to the product the forged position would have pinned.
    await producer.send({
      topic,
      acks: -1,
      messages: [
        debeziumMessage(prefix, 'shop', 'products', 'u', product(3, 'product 3 v2', '12.50'), {
          file,
          pos: 200,
        }),
      ],
    });
    await until(
      'the real change applied',
      async () =>
        ((await getJson(catalog.base, '/products/3')).body as { name: string }).name === 'product 3 v2',
    );
    const res = await fetch(`${catalog.base}/products/3`);
    expect(res.headers.get('x-strangler-source-position')).toBe(`${file}:200`);

    const admin = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(`${topic}.dlq`);
      expect(offsets.reduce((n, p) => n + Number(p.high), 0)).toBe(6);
    } finally {
      await admin.disconnect();
    }
  });
});
