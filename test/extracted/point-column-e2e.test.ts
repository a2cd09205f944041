import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../cdc/broker/test-broker.ts';
import { seedShop } from '../../legacy-monolith/seed/seed-shop.ts';
import { type ComponentProcess, startComponent } from '../../lib/component-process.ts';
import { freePort } from '../../lib/net.ts';
import { startProxy, type TestProxy } from '../../strangler-proxy/testing/harness.ts';
import { Collector, envelope, type JsonObject, keyPayload } from '../connector/support.ts';
import { call, type MonolithUnderTest, startMonolithProcess } from '../monolith/support.ts';
import { converge, getJson, type ServiceUnderTest, startService, until } from './support.ts';

/**
 * `ALTER TABLE products ADD COLUMN loc POINT` and writes to it while the toolkit streams and
 * serves: the proxy, the monolith, the connector, the broker and the catalog service each a
 * real process. Through the proxy (products on a 50 % canary to the catalog, everything else to
 * the monolith) a steady stream of reads and writes runs across the whole episode and every
 * request is counted: none may fail. The connector must encode the new column (Debezium's Point
 * struct) and keep streaming; the catalog, which does not use the column, must catch up and
 * answer for the product exactly as the monolith does.
 */
let monolith: MonolithUnderTest;
let broker: TestBroker;
let connector: ComponentProcess;
let connectorPort: number;
let catalog: ServiceUnderTest;
let proxy: TestProxy;
let collector: Collector;
let offsetsDir: string;
const prefix = 'legacy';
const topic = () => `${prefix}.${monolith.db.name}.products`;

describe('a POINT column added while streaming, with every part a real process', () => {
  beforeAll(async () => {
    [monolith, broker] = await Promise.all([startMonolithProcess('ptshop'), startTestBroker()]);
    await seedShop(monolith.knex, { products: 20, users: 4, orders: 6, seed: 5 });
    offsetsDir = await fs.mkdtemp(path.join(os.tmpdir(), 'pt-offsets-'));
    connectorPort = await freePort();
    connector = await startComponent({
      name: 'connector',
      script: 'cdc/connector/main.ts',
      env: {
        MYSQL_URL: monolith.db.serverUrl,
        SHOP_DB: monolith.db.name,
        KAFKA_BROKERS: broker.brokers.join(','),
        CONNECTOR_PORT: String(connectorPort),
        CONNECTOR_SERVER_ID: String(60_000 + Math.floor(Math.random() * 1_000_000)),
        CONNECTOR_OFFSETS_DIR: offsetsDir,
        LOG_LEVEL: 'warn',
      },
      readyUrl: `http://127.0.0.1:${connectorPort}/health`,
      readyTimeoutMs: 60_000,
    });
    catalog = await startService('catalog', {
      MYSQL_URL: monolith.db.serverUrl,
      KAFKA_BROKERS: broker.brokers.join(','),
      SHOP_DB: monolith.db.name,
      CATALOG_DB: `${monolith.db.name}_cat`,
    });
    proxy = await startProxy({
      routes: {
        legacy: monolith.base,
        routes: [
          {
            id: 'products',
            methods: ['GET', 'HEAD'],
            paths: ['/products', '/products/:id'],
            new: catalog.base,
          },
        ],
      },
      flags: { 'strangler.products': { mode: 'canary', percent: 50 } },
    });
    collector = await Collector.start(broker, [topic()]);
  }, 180_000);

  afterAll(async () => {
    await collector?.stop();
    await Promise.allSettled([proxy?.stop(), catalog?.proc.stop('SIGTERM'), connector?.stop('SIGTERM')]);
    await monolith?.knex.raw(`DROP DATABASE IF EXISTS \`${monolith.db.name}_cat\``).catch(() => undefined);
    await monolith?.stop().catch(() => undefined);
    await broker?.stop();
    if (offsetsDir) await fs.rm(offsetsDir, { recursive: true, force: true });
  });

  it('the proxy answers every request, the connector encodes the column, the catalog catches up', async () => {
    const ids = (await monolith.knex('products').select('id')).map((r) => Number(r.id));
    await converge(
      monolith.base,
      catalog.base,
      ids.map((id) => `/products/${id}`),
      90_000,
    );

    // Load through the proxy for the whole episode: reads (half to the catalog) and renames.
    const outcomes = { ok: 0, failed: [] as string[] };
    let running = true;
    let n = 0;
    const worker = async () => {
      while (running) {
        const id = ids[n++ % ids.length]!;
        const [method, p, body] =
          n % 5 === 0
            ? ['PATCH', `/products/${id}`, { name: `renamed ${n}` }]
            : n % 7 === 0
              ? ['GET', '/products?pageSize=5&sort=-id', undefined]
              : ['GET', `/products/${id}`, undefined];
        try {
          const r = await call(proxy.url, method as string, p as string, body);
          if (r.status === 200) outcomes.ok++;
          else outcomes.failed.push(`${method} ${p}: ${r.status} ${r.text.slice(0, 200)}`);
        } catch (err) {
          outcomes.failed.push(`${method} ${p}: ${(err as Error).message}`);
        }
      }
    };
    const load = Promise.all([worker(), worker(), worker()]);
    await new Promise((r) => setTimeout(r, 1000));

    await monolith.knex.raw('ALTER TABLE products ADD COLUMN loc POINT NULL');
    await monolith.knex.raw('UPDATE products SET loc = POINT(13.4, 52.52) WHERE id = ?', [ids[0]]);
    const renamed = await call(proxy.url, 'PATCH', `/products/${ids[0]}`, { name: 'after the ALTER' });
    expect(renamed.status).toBe(200);
    await new Promise((r) => setTimeout(r, 3000));
    running = false;
    await load;

    expect(outcomes.failed).toEqual([]);
    expect(outcomes.ok).toBeGreaterThan(50);

    // The connector encoded the new column as Debezium's Point and kept streaming.
    const withLoc = await collector.until('an event of the product carrying loc', () =>
      collector
        .on(topic())
        .filter((m) => m.value !== null && Number(keyPayload(m)?.id) === ids[0])
        .map((m) => envelope(m).payload.after as JsonObject | null)
        .find((after) => after?.name === 'after the ALTER'),
    );
    expect(withLoc!.loc).toMatchObject({ x: 13.4, y: 52.52, srid: null });
    expect(typeof (withLoc!.loc as JsonObject).wkb).toBe('string');
    const health = await fetch(`http://127.0.0.1:${connectorPort}/health`);
    expect(health.status).toBe(200);
    expect(connector.child.exitCode).toBeNull();

    // The catalog catches up on everything written during the episode.
    await converge(
      monolith.base,
      catalog.base,
      ids.map((id) => `/products/${id}`),
      60_000,
    );
    const [legacyAnswer, catalogAnswer] = await Promise.all([
      getJson(monolith.base, `/products/${ids[0]}`),
      getJson(catalog.base, `/products/${ids[0]}`),
    ]);
    expect(catalogAnswer.body).toEqual(legacyAnswer.body);
    expect((catalogAnswer.body as { name: string }).name).toBe('after the ALTER');
    await until('the catalog has dead-lettered nothing', async () => {
      const h = (await getJson(catalog.base, '/health')).body as {
        projection: { eventsBehind: number; counters: { deadLettered: number } };
      };
      expect(h.projection.counters.deadLettered).toBe(0);
      return h.projection.eventsBehind === 0;
    });
  }, 240_000);
});
