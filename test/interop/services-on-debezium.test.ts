import { Kafka, logLevel } from 'kafkajs';
import type { Knex } from 'knex';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compareSourcePositions,
  formatSourcePosition,
  type ParsedSourcePosition,
  parseSourcePosition,
} from '../../contract/index.ts';
import { defaultSeedSize, migrateLatest, seedShop, shopTables } from '../../legacy-monolith/index.ts';
import { createMysqlKnex } from '../../lib/knex-mysql.ts';
import { legacyPosition } from '../../scripts/chaos/positions.ts';
import { checkOrders } from '../../scripts/chaos/verify.ts';
import { runWriteLoad, type WriteLedger } from '../../scripts/chaos/writes.ts';
import { fetchJson } from '../../scripts/cli/fetch-text.ts';
import { type ConnectWorker, startConnect } from '../../scripts/interop/connect.ts';
import { debeziumConfig } from '../../scripts/interop/debezium.ts';
import { type KafkaCluster, startKafka } from '../../scripts/interop/kafka.ts';
import type { TableCheck } from '../../scripts/rehearsal/figures.ts';
import { storeMappings } from '../../scripts/rehearsal/live/store-mappings.ts';
import { compareTable } from '../../scripts/rehearsal/live/table-checksum.ts';
import { type RunningSystem, startSystem } from '../../scripts/up/system.ts';
import { type IsolatedEnv, isolatedSystemEnv } from '../e2e/system-fixture.ts';
import { leaderOf, rehearseProductsToCutover } from './support.ts';

/**
 * The extracted services on the real pair: Apache Kafka (three brokers, RF 3, min.insync.replicas
 * 2) and real Debezium (Kafka Connect, the MySQL connector with docs/operations.md's
 * configuration) capturing the seeded shop. The toolkit runs as `npm start` runs it
 * (startSystem) with KAFKA_BROKERS set to the cluster and CDC_CONNECTOR=external: no embedded
 * broker, no cdc/connector; the catalog and orders services build their stores from Debezium's
 * topics. Checked with the rehearsal's own row-level comparison (store-mappings.ts,
 * table-checksum.ts): after the snapshot, and after a write load during which one Kafka broker
 * is SIGKILLed. Then `strangler rehearse products` runs to the end on the same system, that
 * broker still down (two of three in sync meet min.insync.replicas).
 */

const seedScale = 0.02;
const prefix = 'legacy'; // the services' default CDC_TOPIC_PREFIX, as the documented JSON has it
let kafka: KafkaCluster;
let connect: ConnectWorker | undefined;
let isolated: IsolatedEnv;
let system: RunningSystem;
let legacy: Knex;
let stores: { catalog: Knex; orders: Knex };
let seeded: Record<(typeof shopTables)[number], number>;

interface StoreCheck extends TableCheck {
  store: 'catalog' | 'orders';
}

/** Every copied table of both stores against legacy, row by row (the rehearsal's backfill check). */
async function parity(): Promise<StoreCheck[]> {
  const checks: StoreCheck[] = [];
  for (const [store, mapping] of [
    ['catalog', storeMappings.products!],
    ['orders', storeMappings.orders!],
  ] as const)
    for (const t of mapping.tables) checks.push({ store, ...(await compareTable(legacy, stores[store], t)) });
  return checks;
}

const differences = (checks: StoreCheck[]) =>
  checks.reduce((n, c) => n + c.missing + c.extra + c.different, 0);
const describeChecks = (checks: StoreCheck[]) =>
  checks
    .map(
      (c) =>
        `${c.store}.${c.table}: legacy ${c.legacyRows} / store ${c.serviceRows}, missing ${c.missing}, extra ${c.extra}, different ${c.different}${c.examples.length ? ` (${c.examples.join('; ')})` : ''}`,
    )
    .join('\n');

/** Compares until both stores agree with legacy; the last comparison and how long it took. */
async function settle(timeoutMs: number): Promise<{ checks: StoreCheck[]; ms: number }> {
  const started = Date.now();
  for (;;) {
    const checks = await parity();
    if (differences(checks) === 0 || Date.now() - started > timeoutMs)
      return { checks, ms: Date.now() - started };
    await new Promise((r) => setTimeout(r, 500));
  }
}

interface ServiceHealth {
  sourcePosition: string | null;
  projection: {
    eventsBehind?: number;
    lagMs?: number | null;
    error?: string;
    counters: { applied: number; deadLettered: number; deadLetteredByReason: Record<string, number> };
  };
}

async function health(service: 'catalog' | 'orders'): Promise<ServiceHealth | undefined> {
  try {
    const r = await fetchJson(`${system.urls[service]}/health`, 3000);
    return r.status === 200 ? (r.body as ServiceHealth) : undefined;
  } catch {
    return undefined;
  }
}

beforeAll(async () => {
  // Kafka's three JVMs, and the shop seeded meanwhile: Debezium snapshots it once both are there.
  const [cluster, env] = await Promise.all([
    startKafka({ nodes: 3 }),
    (async () => {
      const iso = await isolatedSystemEnv('dbzsvc');
      isolated = iso;
      const shop = createMysqlKnex(iso.shop.serverUrl, iso.shop.name, { min: 0, max: 2 });
      try {
        await migrateLatest(shop);
        seeded = (
          await seedShop(shop, {
            products: Math.round(defaultSeedSize.products * seedScale),
            users: Math.round(defaultSeedSize.users * seedScale),
            orders: Math.round(defaultSeedSize.orders * seedScale),
            seed: defaultSeedSize.seed,
          })
        ).rows;
      } finally {
        await shop.destroy();
      }
      return iso.env;
    })(),
  ]);
  kafka = cluster;
  delete env.CDC_TOPIC_PREFIX;
  const shopDb = env.SHOP_DB!;
  // Debezium on Connect, and npm start's code with the connector left to it, side by side.
  const [worker, running] = await Promise.all([
    startConnect({
      brokers: kafka.brokers,
      connectors: [
        {
          name: 'shop-legacy',
          config: debeziumConfig({
            mysqlUrl: isolated.shop.serverUrl,
            brokers: kafka.brokers,
            prefix,
            databases: [shopDb],
            tables: shopTables.map((t) => `${shopDb}.${t}`),
            // Beyond the documented JSON, what a team may switch on: transaction blocks in
            // every event and BEGIN/END records on <prefix>.transaction, and heartbeats on
            // __debezium-heartbeat.<prefix>. The services must read through both.
            extra: { 'provide.transaction.metadata': 'true', 'heartbeat.interval.ms': '1000' },
          }),
        },
      ],
    }),
    startSystem({
      env: { ...env, KAFKA_BROKERS: kafka.brokers.join(','), CDC_CONNECTOR: 'external' },
      seedScale,
    }),
  ]);
  connect = worker;
  system = running;
  legacy = createMysqlKnex(isolated.shop.serverUrl, shopDb, { min: 0, max: 2 });
  stores = {
    catalog: createMysqlKnex(isolated.shop.serverUrl, env.CATALOG_DB!, { min: 0, max: 2 }),
    orders: createMysqlKnex(isolated.shop.serverUrl, env.ORDERS_DB!, { min: 0, max: 2 }),
  };
  console.log(
    `kafka (3 brokers) ready in ${kafka.startupMs.ready} ms; Connect + Debezium RUNNING in ${worker.startupMs} ms\n${running.lines.join('\n')}`,
  );
});

afterAll(async () => {
  await system?.stop();
  await connect?.stop();
  await kafka?.stop();
  await Promise.all([legacy?.destroy(), stores?.catalog.destroy(), stores?.orders.destroy()]);
  if (isolated) {
    const conn = await mysql.createConnection(isolated.shop.serverUrl);
    for (const db of [isolated.env.CATALOG_DB, isolated.env.ORDERS_DB, isolated.env.WRITERS_DB])
      await conn.query(`DROP DATABASE IF EXISTS \`${db}\``);
    await conn.end();
    await isolated.cleanup();
  }
});

describe('the catalog and orders services on real Debezium and a three-broker Kafka', () => {
  it("npm start runs no broker and no connector of its own on legacy's binlog", () => {
    const names = system.started.map((c) => c.name);
    // the catalog's store connector and reverse applier serve a write move (reverse sync): ours
    expect(names).toEqual([
      'monolith',
      'catalog',
      'catalog-store-connector',
      'catalog-reverse',
      'orders',
      'writers',
      'proxy',
    ]);
    expect(system.lines.join('\n')).toContain(
      `change events      external connector (CDC_CONNECTOR=external): topics ${prefix}.${isolated.env.SHOP_DB}.<table> on ${kafka.brokers.join(',')}`,
    );
  });

  it("builds both stores from Debezium's snapshot: 0 differences row by row", async () => {
    const failed = connect!.failure('shop-legacy');
    failed.catch(() => undefined);
    const { checks, ms } = await Promise.race([failed, settle(150_000)]);
    console.log(`snapshot: stores equal to legacy ${ms} ms after start-up\n${describeChecks(checks)}`);
    expect(differences(checks), describeChecks(checks)).toBe(0);
    // not vacuous: every seeded row is there
    const rows = (store: string, name: string) =>
      checks.find((c) => c.store === store && c.table === name)!.serviceRows;
    expect(rows('catalog', 'products')).toBe(seeded.products);
    expect(rows('orders', 'orders')).toBeGreaterThan(0);
    expect(rows('orders', 'order_items')).toBeGreaterThan(0);
  }, 180_000);

  it('loses nothing and keeps up when a Kafka broker is SIGKILLed during write load', async () => {
    const failed = connect!.failure('shop-legacy');
    failed.catch(() => undefined);
    const topic = `${prefix}.${isolated.env.SHOP_DB}.orders`;
    const victim = await leaderOf(kafka, topic, 0);
    // Long enough after the kill for Kafka to move leadership (the controller fences a broker
    // that stopped heartbeating after broker.session.timeout.ms, 9 s by default) and for the
    // clients to follow, with writes still going on.
    const durationMs = 36_000;
    const killAfterMs = 4_000;
    const samples: Array<{ at: number; catalog?: ServiceHealth; orders?: ServiceHealth }> = [];
    let sampling = true;
    const started = Date.now();
    const sampler = (async () => {
      while (sampling) {
        const [catalog, orders] = await Promise.all([health('catalog'), health('orders')]);
        samples.push({ at: Date.now() - started, catalog, orders });
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    let killedAt = 0;
    // legacy's binlog end once the broker is dead: an event at or past it was written after the kill
    let afterKill: ParsedSourcePosition | undefined;
    const kill = (async () => {
      await new Promise((r) => setTimeout(r, killAfterMs));
      await victim.kill();
      killedAt = Date.now() - started;
      afterKill = parseSourcePosition(formatSourcePosition({ ...(await legacyPosition(legacy)), row: 0 }));
      console.log(
        `SIGKILLed kafka node ${victim.id} (${victim.address}, leader of ${topic}/0) at ${killedAt} ms`,
      );
    })();
    let ledger: WriteLedger;
    try {
      ledger = await Promise.race([
        failed,
        runWriteLoad({
          target: system.urls.legacy,
          durationMs,
          rate: 15,
          concurrency: 4,
          seed: 17,
          maxProductId: seeded.products,
          maxUserId: seeded.users,
        }),
      ]);
      await kill;
    } finally {
      sampling = false;
      await sampler;
    }
    const loadEndedAt = Date.now() - started;
    const { checks, ms: catchUpMs } = await Promise.race([failed, settle(90_000)]);
    const orders = await checkOrders(legacy, stores.orders, ledger.orders);

    const behind = (s: ServiceHealth | undefined) => s?.projection.eventsBehind;
    const lagMs = (s: ServiceHealth | undefined) => s?.projection.lagMs ?? undefined;
    const max = (xs: (number | undefined)[]) =>
      Math.max(0, ...xs.filter((x): x is number => x !== undefined));
    for (const service of ['catalog', 'orders'] as const)
      console.log(
        `${service}: during the load at most ${max(samples.map((s) => behind(s[service])))} events behind, lagMs at most ${max(samples.map((s) => lagMs(s[service])))} (its /health); ` +
          `health unanswered in ${samples.filter((s) => !s[service]).length} of ${samples.length} samples`,
      );
    console.log(
      `write load: ${JSON.stringify(ledger.acknowledged)} acknowledged, ${JSON.stringify(ledger.failed)} failed in ${ledger.elapsedMs} ms; ` +
        `stores equal to legacy ${catchUpMs} ms after the load (${loadEndedAt - killedAt} ms after the kill when it ended)\n${describeChecks(checks)}\n` +
        `acknowledged orders: ${orders.checked} checked, ${orders.lostInLegacy} lost, ${orders.doubled} doubled ${orders.examples.join('; ')}`,
    );

    expect(ledger.acknowledged.order, 'the load placed orders').toBeGreaterThan(20);
    expect(
      ledger.acknowledged.edit + ledger.acknowledged.restock,
      'the load changed products',
    ).toBeGreaterThan(10);
    // nothing lost: every legacy row in the stores, equal, nothing extra; every order once
    expect(differences(checks), describeChecks(checks)).toBe(0);
    expect(orders.checked).toBe(ledger.orders.size);
    expect(orders.lostInLegacy + orders.doubled, orders.examples.join('\n')).toBe(0);
    // kept up: while the writes went on, both services applied events written after the kill
    // (their store's source position reached legacy's binlog end at the kill), and both caught
    // up within a bound a loaded machine still meets
    expect(afterKill).toBeDefined();
    for (const service of ['catalog', 'orders'] as const) {
      const resumed = samples.find((s) => {
        const at = parseSourcePosition(s[service]?.sourcePosition ?? undefined);
        return s.at > killedAt && at !== undefined && (compareSourcePositions(at, afterKill!) ?? -1) >= 0;
      });
      console.log(
        `${service}: applied events written after the kill ${resumed ? `${resumed.at - killedAt} ms after it` : 'not before the load ended'}`,
      );
      expect(resumed, `${service} applied events after the kill, during the load`).toBeDefined();
    }
    expect(catchUpMs).toBeLessThan(60_000);
    // What Debezium wrote beside the table topics (heartbeats, transaction records, its schema
    // history): the services read through it, and the heartbeats were there to read through.
    const admin = new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const others = (await admin.listTopics()).filter(
        (t) => !t.startsWith(`${prefix}.${isolated.env.SHOP_DB}.`) && !t.startsWith('__consumer_offsets'),
      );
      const records: Record<string, number> = {};
      for (const t of others)
        records[t] = (await admin.fetchTopicOffsets(t)).reduce((n, p) => n + Number(p.high), 0);
      console.log(`Debezium's other topics (records): ${JSON.stringify(records)}`);
      expect(records[`__debezium-heartbeat.${prefix}`], 'heartbeat records').toBeGreaterThan(0);
    } finally {
      await admin.disconnect();
    }
    // and no record of Debezium's was refused
    for (const service of ['catalog', 'orders'] as const) {
      const h = await health(service);
      expect(
        h?.projection.counters.deadLettered,
        `${service}: ${JSON.stringify(h?.projection.counters)}`,
      ).toBe(0);
    }
  }, 180_000);

  it('strangler rehearse products runs to the end on the Debezium-fed catalog', async () => {
    const run = await rehearseProductsToCutover(system.env, `${isolated.dataDir}/reports`);
    expect(run.stdout).toMatch(
      new RegExp(`products: ${seeded.products} legacy / ${seeded.products} service rows`),
    );
  }, 180_000);
});
