import type { Knex } from 'knex';
import { upsertNewer } from '../../../cdc/consumer/index.ts';
import { formatCents } from '../../../contract/index.ts';
import { containsLiteral } from '../../../lib/sql-like.ts';

export interface ProductRow {
  id: number;
  sku: unknown;
  name: unknown;
  description: unknown;
  price: unknown;
  category: unknown;
  attributes: string | null;
  created_at: string | null;
  updated_at: string | null;
  product_exists: 0 | 1;
  product_pos: string;
}

export interface StockRow {
  id: number;
  stock: number | null;
  inventory_pos: string;
}

export function saveProducts(trx: Knex.Transaction, rows: ProductRow[]): Promise<void> {
  return upsertNewer(trx, 'catalog_products', rows as unknown as Record<string, unknown>[], {
    keyColumns: ['id'],
    positionColumn: 'product_pos',
  });
}

export function saveStock(trx: Knex.Transaction, rows: StockRow[]): Promise<void> {
  return upsertNewer(trx, 'catalog_products', rows as unknown as Record<string, unknown>[], {
    keyColumns: ['id'],
    positionColumn: 'inventory_pos',
  });
}

const sortColumns: Record<string, string> = {
  id: 'id',
  name: 'name',
  price: 'price',
  createdAt: 'created_at',
};
const columns = [
  'id',
  'sku',
  'name',
  'description',
  'price',
  'category',
  'attributes',
  'created_at',
  'updated_at',
];

export interface ProductFilter {
  page: number;
  pageSize: number;
  sort: string;
  q?: string;
  category?: string;
  minPriceCents?: number;
  maxPriceCents?: number;
}

/** Same filters and order as the monolith's query (sort key, then id), on the same collation. */
export async function findProductPage(
  knex: Knex,
  f: ProductFilter,
): Promise<{ rows: Record<string, unknown>[]; total: number }> {
  const query = knex('catalog_products').where('product_exists', 1);
  if (f.q !== undefined && f.q !== '') query.whereRaw(...containsLiteral('name', f.q));
  if (f.category !== undefined) query.where('category', f.category);
  if (f.minPriceCents !== undefined)
    query.whereRaw('price >= CAST(? AS DECIMAL(12,2))', [formatCents(f.minPriceCents)]);
  if (f.maxPriceCents !== undefined)
    query.whereRaw('price <= CAST(? AS DECIMAL(12,2))', [formatCents(f.maxPriceCents)]);
  const descending = f.sort.startsWith('-');
  const column = sortColumns[f.sort.replace(/^-/, '')]!;
  const [count] = await query.clone().count({ n: '*' });
  const rows = await query
    .clone()
    .select([...columns, knex.raw('COALESCE(stock, 0) AS stock')])
    .orderBy(column, descending ? 'desc' : 'asc')
    .orderBy('id', 'asc')
    .limit(f.pageSize)
    .offset((f.page - 1) * f.pageSize);
  return { rows, total: Number(count?.n ?? 0) };
}

export async function findProductRow(knex: Knex, id: number): Promise<Record<string, unknown> | undefined> {
  return knex('catalog_products')
    .where({ id, product_exists: 1 })
    .first([...columns, knex.raw('COALESCE(stock, 0) AS stock')]);
}
