import { Kafka, logLevel, type Producer } from 'kafkajs';
import knexFactory, { type Knex } from 'knex';
import { afterAll, beforeAll } from 'vitest';
import { startTestBroker, type TestBroker } from '../../cdc/broker/test-broker.ts';
import { createOffsetsTable } from '../../cdc/consumer/index.ts';
import { waitUntil } from '../../lib/net.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

/**
 * Shared pieces of the consumer tests: the real broker with a kafkajs producer on it, a real
 * MariaDB store with the offsets table, the Debezium events they send, and a poll helper.
 */

export interface BrokerRig {
  broker: TestBroker;
  kafka: Kafka;
  producer: Producer;
}

export interface Store {
  db: TestDatabase;
  knex: Knex;
  /** Closes the pool, then drops the database. */
  drop(): Promise<void>;
}

/**
 * A fresh test database with a knex pool on it and the runner's offsets table. The pool reads
 * BIGINT and DECIMAL as strings (offsets and prices compare exactly) and uses UTC, as the
 * services do.
 */
export async function createStore(prefix: string, poolMax = 4): Promise<Store> {
  const db = await createTestDatabase(prefix);
  const knex = knexFactory({
    client: 'mysql2',
    connection: { uri: db.url, timezone: 'Z', supportBigNumbers: true, bigNumberStrings: true } as never,
    pool: { min: 0, max: poolMax },
  });
  const drop = async () => {
    await knex.destroy();
    await db.drop();
  };
  try {
    await createOffsetsTable(knex);
  } catch (err) {
    await drop(); // the caller gets no handle to clean up with
    throw err;
  }
  return { db, knex, drop };
}

/**
 * Registers this file's beforeAll/afterAll: a test broker (a process of its own) with a
 * connected producer, and with `storePrefix` also a store (createStore). The returned object is
 * filled in by beforeAll, so read its fields inside hooks and tests only.
 */
export function useConsumerRig(): BrokerRig;
export function useConsumerRig(storePrefix: string): BrokerRig & Omit<Store, 'drop'>;
export function useConsumerRig(storePrefix?: string): BrokerRig & Partial<Omit<Store, 'drop'>> {
  const rig = {} as BrokerRig & Partial<Omit<Store, 'drop'>>;
  let store: Store | undefined;
  beforeAll(async () => {
    // Started together; allSettled so that one failing still leaves the other for afterAll.
    const [broker, created] = await Promise.allSettled([
      startTestBroker(),
      storePrefix === undefined ? undefined : createStore(storePrefix),
    ]);
    if (broker.status === 'fulfilled') rig.broker = broker.value;
    if (created.status === 'fulfilled' && created.value) {
      store = created.value;
      rig.db = store.db;
      rig.knex = store.knex;
    }
    if (broker.status === 'rejected') throw broker.reason;
    if (created.status === 'rejected') throw created.reason;
    rig.kafka = new Kafka({ brokers: rig.broker.brokers, logLevel: logLevel.NOTHING });
    rig.producer = rig.kafka.producer();
    await rig.producer.connect();
  });
  afterAll(async () => {
    await rig.producer?.disconnect();
    await store?.drop();
    await rig.broker?.stop();
  });
  return rig;
}

/** Polls every 50 ms until `check` holds; the timeout's error names `what`. */
export const until = (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000) =>
  waitUntil(what, check, { timeoutMs, intervalMs: 50 });

/**
 * A schemaless Debezium change event for legacy.shop.items as the MariaDB connector writes it
 * (JsonConverter, schemas.enable=false): `pos` is the binlog position, which orders the events
 * (newer wins); a delete carries the row as `before`; `r` is a snapshot read.
 */
export function envelope(op: 'r' | 'c' | 'u' | 'd', row: Record<string, unknown>, pos: number): string {
  return JSON.stringify({
    before: op === 'd' ? row : null,
    after: op === 'd' ? null : row,
    source: {
      version: '3.4.0.Final',
      connector: 'mariadb',
      name: 'legacy',
      ts_ms: Date.now(),
      snapshot: op === 'r' ? 'true' : 'false',
      db: 'shop',
      table: 'items',
      server_id: 1,
      gtid: null,
      file: 'mariadb-bin.000001',
      pos,
      row: 0,
    },
    op,
    ts_ms: Date.now(),
  });
}
