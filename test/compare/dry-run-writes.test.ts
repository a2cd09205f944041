import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../cdc/broker/test-broker.ts';
import { createMysqlKnex } from '../../lib/knex-mysql.ts';
import { waitFor } from '../../lib/net.ts';
import { ProxyAdmin } from '../../scripts/rehearsal/live/proxy-admin.ts';
import { startProxy, type TestProxy } from '../../strangler-proxy/testing/harness.ts';
import { type ServiceUnderTest, startService } from '../extracted/support.ts';
import { call, type MonolithUnderTest, startMonolithProcess } from '../monolith/support.ts';
import { recordsOf } from './support.ts';

/**
 * Shadowed writes with every part real: the monolith, the catalog service and the proxy, each
 * its own process. In the shadow and canary stages a product write is executed by legacy once;
 * the catalog answers the proxy's dry-run copy, the comparison engine diffs the two answers
 * under the route's write rules and counts them as writes; the catalog's store stays as it was.
 */
let monolith: MonolithUnderTest;
let broker: TestBroker;
let catalog: ServiceUnderTest;
let proxy: TestProxy;
let store: Knex;
let storeName: string;

const count = async (db: Knex, table: string) => Number((await db(table).count({ n: '*' }))[0]!.n);

async function metric(name: string, labels: string): Promise<number> {
  const text = await (await proxy.admin('/metrics')).text();
  const escaped = labels.replace(/[{}]/g, '\\$&');
  return Number(new RegExp(`^${name}${escaped} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
}
const writes = (outcome: string) =>
  metric('strangler_compare_writes_total', `{route="products",outcome="${outcome}"}`);

async function untilWrites(outcome: string, n: number): Promise<void> {
  await waitFor(
    `${n} write comparisons with outcome ${outcome}`,
    async () => {
      const seen = await writes(outcome);
      if (seen < n) throw new Error(`${seen} so far`);
    },
    { timeoutMs: 20_000, intervalMs: 100 },
  );
}

const product = (sku: string) => ({
  sku,
  name: `Shadowed ${sku}`,
  price: '4.20',
  category: 'shadow',
  stock: 2,
});

beforeAll(async () => {
  monolith = await startMonolithProcess('dshop');
  broker = await startTestBroker();
  storeName = `${monolith.db.name}_cat`;
  catalog = await startService('catalog', {
    MYSQL_URL: monolith.db.serverUrl,
    KAFKA_BROKERS: broker.brokers.join(','),
    SHOP_DB: monolith.db.name,
    CATALOG_DB: storeName,
    CDC_TOPIC_PREFIX: `d${Date.now()}`,
  });
  store = createMysqlKnex(monolith.db.serverUrl, storeName, { min: 0, max: 2 });
  proxy = await startProxy({
    routes: {
      legacy: monolith.base,
      routes: [
        {
          id: 'products',
          methods: ['GET', 'HEAD'],
          paths: ['/products', '/products/:id'],
          new: catalog.base,
          flag: 'strangler.products',
          writes: { methods: ['POST', 'PATCH'], paths: ['/products', '/products/:id'] },
          owns: ['products', 'inventory'],
          compare: { writeRules: { generated: ['$.id', '$.createdAt', '$.updatedAt'] } },
        },
      ],
    },
    flags: { 'strangler.products': { mode: 'shadow', percent: 100 } },
    env: { MYSQL_URL: monolith.db.url },
  });
}, 180_000);

afterAll(async () => {
  await proxy?.stop();
  await catalog?.proc.stop('SIGTERM');
  await store?.raw(`DROP DATABASE IF EXISTS \`${storeName}\``);
  await store?.destroy();
  await broker?.stop();
  await monolith?.stop();
});

describe('dry-run shadow writes', () => {
  it('N shadowed writes: N new legacy rows, none in the store, N write comparisons that match', async () => {
    const n = 6;
    const legacyBefore = await count(monolith.knex, 'products');
    const storeBefore = await count(store, 'catalog_products');
    for (let i = 0; i < n; i++) {
      const res = await fetch(`${proxy.url}/products`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(product(`SH-${i}`)),
      });
      expect(res.status).toBe(201);
      expect(res.headers.get('x-strangler-target')).toBe('legacy');
      await res.text();
    }
    await untilWrites('match', n);
    expect(await count(monolith.knex, 'products')).toBe(legacyBefore + n);
    expect(await count(store, 'catalog_products')).toBe(storeBefore);
    expect(await writes('mismatch')).toBe(0);
    // the writes are among all comparisons, counted like reads
    expect(
      await metric('strangler_compare_total', '{route="products",outcome="match"}'),
    ).toBeGreaterThanOrEqual(n);
  });

  it('a different answer is a write mismatch and a status difference, recorded with both answers', async () => {
    // legacy has the sku (409); the catalog's store, fed by nothing here, does not (201)
    const res = await call(proxy.url, 'POST', '/products', product('SH-0'));
    expect(res.status).toBe(409);
    await untilWrites('mismatch', 1);
    expect(await metric('strangler_compare_status_differences_total', '{route="products"}')).toBe(1);
    const [record] = (await recordsOf(proxy, 'products')).filter((r) => r.outcome === 'mismatch');
    expect(record).toMatchObject({
      request: { method: 'POST', path: '/products' },
      legacy: { status: 409 },
      new: { status: 201 },
      note: 'write: legacy executed it, the new side answered a dry run',
    });
    expect(record!.diffs.map((d) => d.field)).toContain('status');
    expect(await count(store, 'catalog_products')).toBe(0);
  });

  it('in a canary every write is still executed by legacy alone and dry-run on the catalog', async () => {
    // waits until the proxy itself evaluates the canary, so no write below straddles the change
    await new ProxyAdmin(proxy.adminUrl, proxy.token).shift('products', '10');
    const matched = await writes('match');
    const legacyBefore = await count(monolith.knex, 'products');
    for (const user of ['a', 'b', 'c']) {
      const res = await call(proxy.url, 'POST', '/products', product(`CAN-${user}`), { 'x-user-id': user });
      expect(res.status).toBe(201);
    }
    await untilWrites('match', matched + 3);
    expect(await count(monolith.knex, 'products')).toBe(legacyBefore + 3);
    expect(await count(store, 'catalog_products')).toBe(0);
  });
});
