import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../cdc/broker/test-broker.ts';
import { disconnectTimedOut as gaveUp, offsetCommitFailed } from '../../cdc/consumer/projection-runner.ts';
import { debeziumMessage, writtenBinlog } from '../../extracted/service-kit/testing/debezium-publisher.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { type ServiceUnderTest, startService, until } from './support.ts';

/**
 * A service's stop (SIGTERM) with and without the broker. With it: quick, and the group's
 * offsets are committed to Kafka on the way out. With the broker gone (stopped first, or
 * crashed): still over in seconds; kafkajs alone retries its disconnect for about 20 s, past
 * npm start's 10 s kill timeout, which is what a terminal's Ctrl-C used to run into.
 */
let broker: TestBroker;
let store: TestDatabase;
const prefix = `stop${randomBytes(3).toString('hex')}`;
const topic = `${prefix}.shop.products`;

beforeAll(async () => {
  [broker, store] = await Promise.all([startTestBroker(), createTestDatabase('svcstop')]);
  // a position the test server has written: the service dead-letters any beyond it
  const file = await writtenBinlog(store.serverUrl);
  const producer = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  const row = (id: number) => ({
    id,
    sku: `SKU-${id}`,
    name: `product ${id}`,
    description: 'd',
    price: '9.99',
    category: 'tools',
    attributes: '{}',
    created_at: new Date('2024-01-01T00:00:00Z'),
    updated_at: new Date('2024-01-01T00:00:00Z'),
  });
  await producer.send({
    topic,
    acks: -1,
    messages: [1, 2, 3, 4, 5].map((id) =>
      debeziumMessage(prefix, 'shop', 'products', 'r', row(id), { file, pos: 4 }),
    ),
  });
  await producer.disconnect();
});

afterAll(async () => {
  await broker?.stop();
  await store?.drop();
});

async function startCatalog(): Promise<ServiceUnderTest> {
  const service = await startService('catalog', {
    MYSQL_URL: store.serverUrl,
    KAFKA_BROKERS: broker.brokers.join(','),
    CDC_TOPIC_PREFIX: prefix,
    SHOP_DB: 'shop',
    CATALOG_DB: store.name,
    LOG_LEVEL: 'info',
  });
  // Joined and caught up: the five products are applied.
  await until('the catalog to apply the products', async () => {
    const health = (await (await fetch(`${service.base}/health`)).json()) as {
      projection: { eventsBehind?: number; counters: { applied: number } };
    };
    return health.projection.eventsBehind === 0 && (await fetch(`${service.base}/products/5`)).status === 200;
  });
  return service;
}

async function timedStop(service: ServiceUnderTest): Promise<{ ms: number; code: number | null }> {
  const started = Date.now();
  const code = await service.proc.stop('SIGTERM', 30_000);
  return { ms: Date.now() - started, code };
}

describe('an extracted service stopping', () => {
  it('with the broker there: stops quickly and commits its offsets to Kafka', async () => {
    const catalog = await startCatalog();
    const { ms, code } = await timedStop(catalog);
    expect(code, catalog.proc.output()).toBe(0);
    expect(catalog.proc.output()).not.toContain(gaveUp);
    expect(ms).toBeLessThan(2500);
    const admin = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const [committed] = await admin.fetchOffsets({ groupId: 'catalog-projection', topics: [topic] });
      // The producer spread the five records over the auto-created topic's partitions.
      const total = committed!.partitions.reduce((sum, p) => sum + Number(p.offset), 0);
      expect(total).toBe(5);
    } finally {
      await admin.disconnect();
    }
  });

  it('with the broker gone: stops within its disconnect bound, exit code 0, and says why', async () => {
    const catalog = await startCatalog();
    await broker.kill();
    try {
      const { ms, code } = await timedStop(catalog);
      expect(code, catalog.proc.output()).toBe(0);
      // Why, in the log: the offset commit on the way out failed, or it did not answer in time.
      const said = [offsetCommitFailed, gaveUp].some((why) => catalog.proc.output().includes(why));
      expect(said, catalog.proc.output()).toBe(true);
      expect(ms).toBeLessThan(5000);
    } finally {
      broker = await broker.restart();
    }
  });
});

describe('an extracted service with the broker gone', () => {
  it('answers /health at once, saying Kafka did not answer, while its routes keep serving', async () => {
    const catalog = await startCatalog();
    await broker.kill();
    try {
      const started = Date.now();
      const res = await fetch(`${catalog.base}/health`);
      const ms = Date.now() - started;
      const health = (await res.json()) as { status: string; projection: { error?: string } };
      expect(res.status).toBe(200);
      expect(health.status).toBe('ok');
      expect(health.projection.error).toMatch(/kafka/i);
      expect(ms).toBeLessThan(4000);
      expect((await fetch(`${catalog.base}/products/5`)).status).toBe(200);
      await timedStop(catalog);
    } finally {
      broker = await broker.restart();
    }
  });
});
