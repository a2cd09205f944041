import type { Knex } from 'knex';
import type { Product, ProductQuery } from '../../../legacy-monolith/domain/products.ts';
import { isoTime, jsonValue, money } from '../../../legacy-monolith/domain/rows.ts';
import { notFound } from '../../../legacy-monolith/errors.ts';
import { findProductPage, findProductRow } from '../data-access/product-store.ts';

/** The contract's Product JSON from a read-model row (same conversions as the monolith). */
function toProduct(row: Record<string, unknown>): Product {
  return {
    id: Number(row.id),
    sku: String(row.sku),
    name: String(row.name),
    description: row.description === null ? null : String(row.description),
    price: money(row.price),
    category: String(row.category),
    attributes: jsonValue(row.attributes),
    stock: Number(row.stock ?? 0),
    createdAt: isoTime(row.created_at),
    updatedAt: isoTime(row.updated_at),
  };
}

export async function listProducts(knex: Knex, query: ProductQuery) {
  const { rows, total } = await findProductPage(knex, query);
  return { items: rows.map(toProduct), page: query.page, pageSize: query.pageSize, total };
}

export async function getProduct(knex: Knex, id: number): Promise<Product> {
  const row = await findProductRow(knex, id);
  if (!row) throw notFound('product', id);
  return toProduct(row);
}
