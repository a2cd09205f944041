import type { Knex } from 'knex';
import {
  type NewProduct,
  notFound,
  type Product,
  type ProductChanges,
  type ProductQuery,
  skuTakenError,
  toProduct,
} from '../../../contract/index.ts';
import { writeOrDryRun } from '../../service-kit/dry-run.ts';
import {
  findProductPage,
  findProductRow,
  insertProduct,
  lockProduct,
  skuHolder,
  updateProductRow,
} from '../data-access/product-store.ts';

export async function listProducts(knex: Knex, query: ProductQuery) {
  const { rows, total } = await findProductPage(knex, query);
  return { items: rows.map(toProduct), page: query.page, pageSize: query.pageSize, total };
}

export async function getProduct(knex: Knex | Knex.Transaction, id: number): Promise<Product> {
  const row = await findProductRow(knex, id);
  if (!row) throw notFound('product', id);
  return toProduct(row);
}

/**
 * A product and its stock, created together, answered as legacy answers it: the store's row
 * read back. A sku another live product holds is a 409, as legacy's unique index makes it
 * (the store has no unique index: its rows arrive from legacy, transient states included).
 * `dryRun`: the proxy's copy of a write legacy executes; rolled back, same answer.
 */
export function createProduct(knex: Knex, input: NewProduct, dryRun = false): Promise<Product> {
  return writeOrDryRun(knex, dryRun, async (trx) => {
    if ((await skuHolder(trx, input.sku)) !== undefined) throw skuTakenError(input.sku);
    const id = await insertProduct(trx, { ...input, stock: input.stock ?? 0 });
    return getProduct(trx, id);
  });
}

/** Changes the given fields of a live product; 404 for an unknown id, 409 for a taken sku. */
export function updateProduct(
  knex: Knex,
  id: number,
  changes: ProductChanges,
  dryRun = false,
): Promise<Product> {
  return writeOrDryRun(knex, dryRun, async (trx) => {
    if (!(await lockProduct(trx, id))) throw notFound('product', id);
    if (changes.sku !== undefined && (await skuHolder(trx, changes.sku, id)) !== undefined)
      throw skuTakenError(changes.sku);
    await updateProductRow(trx, id, changes);
    return getProduct(trx, id);
  });
}
