import { z } from 'zod';
import { isoTime } from './dates.ts';
import { formatMoney } from './money.ts';
import { pageQuery, parseQuery, queryMoney } from './requests.ts';

/**
 * The products contract: what `GET /products` and `GET /products/:id` take and answer, the
 * same from the monolith and from the catalog service. Product request bodies join these
 * schemas here when a side other than the monolith takes them.
 */

/** The Product JSON answer. */
export interface Product {
  id: number;
  sku: string;
  name: string;
  description: string | null;
  price: string;
  category: string;
  attributes: unknown;
  stock: number;
  createdAt: string;
  updatedAt: string;
}

export const productSorts = [
  'id',
  '-id',
  'name',
  '-name',
  'price',
  '-price',
  'createdAt',
  '-createdAt',
] as const;
export type ProductSort = (typeof productSorts)[number];

/** `GET /products?…`: the list's filters, sort and page. */
export const productListQuery = z
  .strictObject({
    ...pageQuery,
    sort: z.enum(productSorts, `must be one of ${productSorts.join(', ')}`).default('id'),
    q: z.string().max(200, 'must be at most 200 characters').optional(),
    category: z.string().max(64, 'must be at most 64 characters').optional(),
    minPrice: queryMoney('minPrice'),
    maxPrice: queryMoney('maxPrice'),
  })
  .refine((q) => q.minPrice === undefined || q.maxPrice === undefined || q.minPrice <= q.maxPrice, {
    message: 'minPrice must not be greater than maxPrice',
    path: ['minPrice'],
  });

/** A parsed product list query, prices in cents, as the sides' queries take it. */
export interface ProductQuery {
  page: number;
  pageSize: number;
  sort: ProductSort;
  q?: string;
  category?: string;
  minPriceCents?: number;
  maxPriceCents?: number;
}

/** `GET /products?…` parsed (a 400 names every bad parameter), prices in cents. */
export function parseProductListQuery(query: unknown): ProductQuery {
  const { minPrice, maxPrice, ...rest } = parseQuery(productListQuery, query);
  return { ...rest, minPriceCents: minPrice, maxPriceCents: maxPrice };
}

/** MySQL's JSON type arrives parsed; MariaDB's (LONGTEXT + json_valid) may arrive as text. */
function jsonValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return JSON.parse(value);
  if (Buffer.isBuffer(value)) return JSON.parse(value.toString('utf8'));
  return value;
}

/**
 * The Product JSON from a row with the products columns (snake_case) and `stock`: the
 * monolith's products ⟕ inventory, or the catalog's read model.
 */
export function toProduct(row: Record<string, unknown>): Product {
  return {
    id: Number(row.id),
    sku: String(row.sku),
    name: String(row.name),
    description: row.description === null ? null : String(row.description),
    price: formatMoney(row.price),
    category: String(row.category),
    attributes: jsonValue(row.attributes),
    stock: Number(row.stock ?? 0),
    createdAt: isoTime(row.created_at),
    updatedAt: isoTime(row.updated_at),
  };
}
