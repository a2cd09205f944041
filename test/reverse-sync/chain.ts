import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { startTestBroker, type TestBroker } from '../../cdc/broker/test-broker.ts';
import { seedShop } from '../../legacy-monolith/seed/seed-shop.ts';
import { type ComponentProcess, startComponent } from '../../lib/component-process.ts';
import { createMysqlKnex } from '../../lib/knex-mysql.ts';
import { freePort } from '../../lib/net.ts';
import { storeMappings } from '../../scripts/rehearsal/live/store-mappings.ts';
import { compareTable } from '../../scripts/rehearsal/live/table-checksum.ts';
import { type ServiceUnderTest, startService, until } from '../extracted/support.ts';
import { type MonolithUnderTest, startMonolithProcess } from '../monolith/support.ts';

/**
 * The whole write-back chain as separate real processes, configured as `npm start` configures
 * them (scripts/up/components.ts): monolith on a fresh shop database, broker, the forward
 * connector (shop → `legacy.*`), the catalog service, the store connector (catalog's store →
 * `<prefix>.*`), and the catalog's reverse applier writing back into the shop.
 */
export interface Chain {
  monolith: MonolithUnderTest;
  broker: TestBroker;
  shop: Knex;
  store: Knex;
  state: Knex;
  names: { shop: string; store: string; state: string; storePrefix: string };
  catalog: ServiceUnderTest;
  forward: Restartable;
  storeConnector: Restartable;
  reverse: Restartable;
  /** Restarts the catalog service on its port (after a kill). */
  restartCatalog(): Promise<void>;
  stop(): Promise<void>;
}

export interface Restartable {
  base: string;
  proc: ComponentProcess;
  start(): Promise<void>;
}

function restartable(name: string, script: string, env: Record<string, string>, port: number): Restartable {
  const base = `http://127.0.0.1:${port}`;
  const r: Restartable = {
    base,
    proc: undefined as unknown as ComponentProcess,
    async start() {
      r.proc = await startComponent({
        name,
        script,
        env,
        readyUrl: `${base}/health`,
        readyTimeoutMs: 90_000,
      });
    },
  };
  return r;
}

export async function startChain(products = 30): Promise<Chain> {
  const [monolith, broker] = await Promise.all([startMonolithProcess('rev'), startTestBroker()]);
  await seedShop(monolith.knex, { products, users: 3, orders: 4, seed: 5 });
  const shopDb = monolith.db.name;
  const names = {
    shop: shopDb,
    store: `${shopDb}_cat`,
    state: `${shopDb}_rev`,
    storePrefix: `cs${randomBytes(3).toString('hex')}`,
  };
  const common = {
    MYSQL_URL: monolith.db.serverUrl,
    KAFKA_BROKERS: broker.brokers.join(','),
    LOG_LEVEL: 'warn',
  };
  const offsets = await fs.mkdtemp(path.join(os.tmpdir(), 'reverse-offsets-'));
  const serverId = () => String(10_000 + Math.floor(Math.random() * 50_000));
  const [forwardPort, storePort, reversePort, catalogPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const forward = restartable(
    'connector',
    'cdc/connector/main.ts',
    {
      ...common,
      SHOP_DB: shopDb,
      CONNECTOR_PORT: String(forwardPort),
      CONNECTOR_SERVER_ID: serverId(),
      CONNECTOR_OFFSETS_DIR: offsets,
      CDC_INCLUDE_QUERY: 'true',
    },
    forwardPort,
  );
  await forward.start();
  const catalog = await startService(
    'catalog',
    { ...common, SHOP_DB: shopDb, CATALOG_DB: names.store },
    { port: catalogPort },
  );
  const storeConnector = restartable(
    'catalog-store-connector',
    'cdc/connector/main.ts',
    {
      ...common,
      CONNECTOR_PORT: String(storePort),
      CONNECTOR_NAME: 'catalog-store-connector',
      CONNECTOR_OFFSETS_DIR: offsets,
      CDC_TOPIC_PREFIX: names.storePrefix,
      CDC_DATABASE_SERVER_ID: serverId(),
      CDC_DATABASE_INCLUDE_LIST: names.store,
      CDC_TABLE_INCLUDE_LIST: `${names.store}\\.catalog_products`,
      CDC_INCLUDE_QUERY: 'true',
      CDC_SNAPSHOT_MODE: 'no_data',
    },
    storePort,
  );
  await storeConnector.start();
  const reverse = restartable(
    'catalog-reverse',
    'extracted/catalog/reverse-sync.ts',
    {
      ...common,
      SHOP_DB: shopDb,
      CATALOG_DB: names.store,
      REVERSE_PORT: String(reversePort),
      REVERSE_STATE_DB: names.state,
      REVERSE_TOPIC_PREFIX: names.storePrefix,
      REVERSE_CONNECTOR_URL: storeConnector.base,
      REVERSE_SERVICE_URL: catalog.base,
    },
    reversePort,
  );
  await reverse.start();
  const shop = monolith.knex;
  const store = createMysqlKnex(monolith.db.serverUrl, names.store, { min: 0, max: 4 });
  const state = createMysqlKnex(monolith.db.serverUrl, names.state, { min: 0, max: 2 });
  await until(
    'the catalog projected the seeded shop',
    async () => (await fetch(`${catalog.base}/products/${products}`)).status === 200,
    120_000,
  );
  const chain: Chain = {
    monolith,
    broker,
    shop,
    store,
    state,
    names,
    catalog,
    forward,
    storeConnector,
    reverse,
    async restartCatalog() {
      chain.catalog = await startService('catalog', catalog.env, { port: catalogPort });
    },
    async stop() {
      await Promise.all([
        chain.reverse.proc?.stop('SIGTERM'),
        chain.storeConnector.proc?.stop('SIGTERM'),
        chain.catalog.proc.stop('SIGTERM'),
      ]);
      await chain.forward.proc?.stop('SIGTERM');
      await Promise.all([store.destroy(), state.destroy()]);
      for (const db of [names.store, names.state])
        await shop.raw(`DROP DATABASE IF EXISTS \`${db}\``).catch(() => undefined);
      await monolith.stop().catch(() => undefined);
      await broker.stop();
      await fs.rm(offsets, { recursive: true, force: true });
    },
  };
  return chain;
}

/** Row-level parity of the shop's products and inventory with the catalog's store (the rehearsal's check). */
export async function parity(chain: Chain): Promise<string[]> {
  const problems: string[] = [];
  for (const t of storeMappings.products!.tables) {
    const check = await compareTable(chain.shop, chain.store, t);
    if (check.missing + check.extra + check.different > 0)
      problems.push(
        `${check.table}: ${check.missing} missing, ${check.extra} extra, ${check.different} different (${check.examples.join('; ')})`,
      );
  }
  return problems;
}
