import type { Knex } from 'knex';
import {
  formatCents,
  isMysqlError,
  mysqlErrors,
  type NewProduct,
  notFound,
  type Product,
  type ProductChanges,
  type ProductQuery,
  skuTakenError,
  toProduct,
  writeTransaction,
} from '../../contract/index.ts';
import { containsLiteral } from '../../lib/sql-like.ts';

const sortColumns: Record<string, string> = {
  id: 'p.id',
  name: 'p.name',
  price: 'p.price',
  createdAt: 'p.created_at',
};

const productColumns = [
  'p.id',
  'p.sku',
  'p.name',
  'p.description',
  'p.price',
  'p.category',
  'p.attributes',
  'p.created_at',
  'p.updated_at',
];

function productsWithStock(db: Knex | Knex.Transaction) {
  return db('products as p').leftJoin('inventory as i', 'i.product_id', 'p.id');
}

/**
 * One page of products. Order is the sort key, then id ascending, so pages never overlap.
 * `q` is a literal substring of the name (wildcards escaped); comparisons follow the table
 * collation (utf8mb4_unicode_ci: case- and accent-insensitive).
 */
export async function listProducts(
  knex: Knex,
  query: ProductQuery,
): Promise<{ items: Product[]; page: number; pageSize: number; total: number }> {
  const filtered = productsWithStock(knex);
  if (query.q !== undefined && query.q !== '') {
    filtered.whereRaw(...containsLiteral('p.name', query.q));
  }
  if (query.category !== undefined) filtered.where('p.category', query.category);
  if (query.minPriceCents !== undefined) {
    filtered.whereRaw('p.price >= CAST(? AS DECIMAL(12,2))', [formatCents(query.minPriceCents)]);
  }
  if (query.maxPriceCents !== undefined) {
    filtered.whereRaw('p.price <= CAST(? AS DECIMAL(12,2))', [formatCents(query.maxPriceCents)]);
  }
  const descending = query.sort.startsWith('-');
  const column = sortColumns[query.sort.replace(/^-/, '')]!;
  const [countRow] = await filtered.clone().count({ n: '*' });
  const rows = await filtered
    .clone()
    .select([...productColumns, knex.raw('COALESCE(i.stock, 0) AS stock')])
    .orderBy(column, descending ? 'desc' : 'asc')
    .orderBy('p.id', 'asc')
    .limit(query.pageSize)
    .offset((query.page - 1) * query.pageSize);
  return {
    items: rows.map(toProduct),
    page: query.page,
    pageSize: query.pageSize,
    total: Number(countRow?.n ?? 0),
  };
}

export async function findProduct(db: Knex | Knex.Transaction, id: number): Promise<Product | undefined> {
  const row = await productsWithStock(db)
    .where('p.id', id)
    .first([...productColumns, db.raw('COALESCE(i.stock, 0) AS stock')]);
  return row ? toProduct(row) : undefined;
}

export async function getProduct(db: Knex | Knex.Transaction, id: number): Promise<Product> {
  const product = await findProduct(db, id);
  if (!product) throw notFound('product', id);
  return product;
}

function skuTaken(err: unknown, sku: string | undefined): unknown {
  return isMysqlError(err, mysqlErrors.duplicateEntry) ? skuTakenError(sku, err) : err;
}

function productColumnsFrom(input: ProductChanges): Record<string, unknown> {
  const columns: Record<string, unknown> = {};
  if (input.sku !== undefined) columns.sku = input.sku;
  if (input.name !== undefined) columns.name = input.name;
  if (input.description !== undefined) columns.description = input.description;
  if (input.priceCents !== undefined) columns.price = formatCents(input.priceCents);
  if (input.category !== undefined) columns.category = input.category;
  if (input.attributes !== undefined) {
    columns.attributes = input.attributes === null ? null : JSON.stringify(input.attributes);
  }
  return columns;
}

/** A product and its stock row, created together. */
export async function createProduct(knex: Knex, input: NewProduct): Promise<Product> {
  try {
    return await writeTransaction(knex, async (trx) => {
      const [id] = await trx('products').insert({
        ...productColumnsFrom(input),
        created_at: trx.fn.now(3),
        updated_at: trx.fn.now(3),
      });
      await trx('inventory').insert({ product_id: id, stock: input.stock ?? 0, updated_at: trx.fn.now(3) });
      return getProduct(trx, Number(id));
    });
  } catch (err) {
    throw skuTaken(err, input.sku);
  }
}

/** Changes the given fields; updated_at moves only when a value really changed (ON UPDATE). */
export async function updateProduct(knex: Knex, id: number, changes: ProductChanges): Promise<Product> {
  try {
    return await writeTransaction(knex, async (trx) => {
      const existing = await trx('products').where({ id }).forUpdate().first('id');
      if (!existing) throw notFound('product', id);
      await trx('products').where({ id }).update(productColumnsFrom(changes));
      return getProduct(trx, id);
    });
  } catch (err) {
    throw skuTaken(err, changes.sku);
  }
}

/** Sets the stock count (an inventory recount); creates the stock row if a product lacks one. */
export async function setStock(knex: Knex, id: number, stock: number): Promise<Product> {
  return writeTransaction(knex, async (trx) => {
    const existing = await trx('products').where({ id }).forShare().first('id');
    if (!existing) throw notFound('product', id);
    await trx('inventory')
      .insert({ product_id: id, stock, updated_at: trx.fn.now(3) })
      .onConflict('product_id')
      .merge(['stock']);
    return getProduct(trx, id);
  });
}
