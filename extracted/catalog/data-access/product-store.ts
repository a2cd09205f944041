import type { Knex } from 'knex';
import { upsertNewer } from '../../../cdc/consumer/index.ts';
import { formatCents, type ProductChanges } from '../../../contract/index.ts';
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

export async function findProductRow(
  knex: Knex | Knex.Transaction,
  id: number,
): Promise<Record<string, unknown> | undefined> {
  return knex('catalog_products')
    .where({ id, product_exists: 1 })
    .first([...columns, knex.raw('COALESCE(stock, 0) AS stock')]);
}

/** A product's columns as the store keeps them (snake_case, money as DECIMAL text, JSON as text). */
function productColumns(input: ProductChanges): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (input.sku !== undefined) out.sku = input.sku;
  if (input.name !== undefined) out.name = input.name;
  if (input.description !== undefined) out.description = input.description;
  if (input.priceCents !== undefined) out.price = formatCents(input.priceCents);
  if (input.category !== undefined) out.category = input.category;
  if (input.attributes !== undefined)
    out.attributes = input.attributes === null ? null : JSON.stringify(input.attributes);
  return out;
}

/**
 * The id of another live product holding `sku`, read under a lock: the sku index turns it into
 * a lock on that sku's gap, so two writers of one new sku serialise (one of them as a deadlock
 * victim, rerun by the write transaction) and the second sees the first's row. The column's
 * collation decides equality, as legacy's unique index does.
 */
export async function skuHolder(
  trx: Knex.Transaction,
  sku: string,
  exceptId?: number,
): Promise<number | undefined> {
  const query = trx('catalog_products').where({ sku, product_exists: 1 }).forUpdate().first('id');
  if (exceptId !== undefined) query.whereNot('id', exceptId);
  const row = await query;
  return row ? Number(row.id) : undefined;
}

/** Whether a live product has this id, its row locked for the rest of the transaction. */
export async function lockProduct(trx: Knex.Transaction, id: number): Promise<boolean> {
  return (
    (await trx('catalog_products').where({ id, product_exists: 1 }).forUpdate().first('id')) !== undefined
  );
}

/**
 * A product the catalog creates: its id drawn from the table's AUTO_INCREMENT (migrations.ts:
 * catalogIdBase), its positions empty (no source event wrote it).
 */
export async function insertProduct(
  trx: Knex.Transaction,
  input: ProductChanges & { stock: number },
): Promise<number> {
  const [id] = await trx('catalog_products').insert({
    ...productColumns(input),
    created_at: trx.fn.now(3),
    updated_at: trx.fn.now(3),
    product_exists: 1,
    stock: input.stock,
  });
  return Number(id);
}

/**
 * Changes the given columns. updated_at moves only when a value really changed, as legacy's
 * ON UPDATE column does: it is assigned first (MySQL assigns left to right, so it still sees
 * the old values), byte-wise for text so a case-only change counts as a change.
 */
export async function updateProductRow(
  trx: Knex.Transaction,
  id: number,
  changes: ProductChanges,
): Promise<void> {
  const columns = productColumns(changes);
  const checks: string[] = [];
  const bindings: Knex.RawBinding[] = [];
  for (const [column, value] of Object.entries(columns)) {
    checks.push(
      column === 'price' ? '?? <=> CAST(? AS DECIMAL(10,2))' : 'CAST(?? AS BINARY) <=> CAST(? AS BINARY)',
    );
    bindings.push(column, value as Knex.Value);
  }
  await trx('catalog_products')
    .where({ id })
    .update({
      updated_at: trx.raw(`IF(${checks.join(' AND ')}, updated_at, CURRENT_TIMESTAMP(3))`, bindings),
      ...columns,
    });
}
