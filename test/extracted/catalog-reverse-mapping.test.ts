import { describe, expect, it } from 'vitest';
import type { ChangeEvent, Row } from '../../cdc/consumer/index.ts';
import { catalogReverseMapping } from '../../extracted/catalog/entry-points/catalog-reverse-mapping.ts';

/**
 * Which legacy writes one catalog_products change means, and under which table's enablement:
 * a product the catalog creates takes its first stock row with it (legacy's POST /products
 * writes both), so that moving `products` alone leaves no product without stock in legacy;
 * a later stock change stays under `inventory`.
 */
const row = (over: Row = {}): Row => ({
  id: 2_000_000_001,
  sku: 'MAP-1',
  name: 'mapped',
  description: null,
  price: '3.00',
  category: 'map',
  attributes: null,
  created_at: '2026-12-06 10:00:00.000',
  updated_at: '2026-12-06 10:00:00.000',
  product_exists: 1,
  stock: 5,
  ...over,
});
const event = (op: 'c' | 'u', before: Row | null, after: Row): ChangeEvent => ({
  kind: 'change',
  topic: 'catalog-store.catalog.catalog_products',
  partition: 0,
  offset: '1',
  op,
  key: { id: after.id },
  before,
  after,
  source: null,
  position: null,
  positionKey: null,
  db: 'catalog',
  table: 'catalog_products',
  sourceTable: 'catalog_products',
  unwrapped: false,
});

describe('catalog reverse mapping', () => {
  it("a created product's stock row goes back under products", () => {
    const writes = catalogReverseMapping.map(event('c', null, row()));
    expect(writes.map((w) => [w.table, w.op, w.under])).toEqual([
      ['products', 'upsert', undefined],
      ['inventory', 'upsert', 'products'],
    ]);
    expect(writes[1]).toMatchObject({ row: { product_id: 2_000_000_001, stock: 5 } });
  });

  it('a stock change of an existing product stays under inventory', () => {
    const writes = catalogReverseMapping.map(event('u', row(), row({ stock: 4 })));
    expect(writes.map((w) => [w.table, w.under])).toEqual([['inventory', undefined]]);
  });

  it('a product appearing on a row whose stock did not change writes the product only', () => {
    const writes = catalogReverseMapping.map(
      event('u', row({ product_exists: 0, stock: 2 }), row({ stock: 2 })),
    );
    expect(writes.map((w) => [w.table, w.under])).toEqual([['products', undefined]]);
  });
});
