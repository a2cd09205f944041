import type { Knex } from 'knex';
import { notFound, type Product, type ProductQuery, toProduct } from '../../../contract/index.ts';
import { findProductPage, findProductRow } from '../data-access/product-store.ts';

export async function listProducts(knex: Knex, query: ProductQuery) {
  const { rows, total } = await findProductPage(knex, query);
  return { items: rows.map(toProduct), page: query.page, pageSize: query.pageSize, total };
}

export async function getProduct(knex: Knex, id: number): Promise<Product> {
  const row = await findProductRow(knex, id);
  if (!row) throw notFound('product', id);
  return toProduct(row);
}
