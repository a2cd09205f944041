import { z } from 'zod';
import { isoTime } from './dates.ts';
import { ShopError } from './errors.ts';
import { formatMoney } from './money.ts';
import { moneyField, pageQuery, parseBody, parseQuery, queryMoney, textField } from './requests.ts';

/**
 * The products contract: what `GET /products`, `GET /products/:id`, `POST /products` and
 * `PATCH /products/:id` take and answer, the same from the monolith and from the catalog
 * service. The stock recount (`PUT /products/:id/stock`) stays with the monolith's schemas
 * until a side other than the monolith takes it.
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

/** The largest stock count a product may hold (both sides' stock bodies). */
export const maxStock = 1_000_000_000;

const attributes = z
  .record(z.string(), z.json())
  .nullable()
  .refine(
    (value) => value === null || JSON.stringify(value).length <= 16_384,
    'must be at most 16 KiB of JSON',
  );

const productFields = {
  sku: textField(64),
  name: textField(255),
  description: z.string().max(10_000, 'must be at most 10000 characters').nullable(),
  price: moneyField('price').refine((cents) => cents >= 1, 'price must be at least 0.01'),
  category: textField(64),
  attributes,
};

/** `POST /products`: a new product (price as money, → cents) and its initial stock. */
export const newProductBody = z.strictObject({
  ...productFields,
  description: productFields.description.optional(),
  attributes: attributes.optional(),
  stock: z.int().min(0).max(maxStock).optional(),
});

/** `PATCH /products/:id`: the fields to change, at least one; stock has its own route. */
export const productChangesBody = z
  .strictObject({
    sku: productFields.sku.optional(),
    name: productFields.name.optional(),
    description: productFields.description.optional(),
    price: productFields.price.optional(),
    category: productFields.category.optional(),
    attributes: attributes.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, {
    message:
      'give at least one of sku, name, description, price, category, attributes (stock: PUT /products/:id/stock)',
  });

/** A product to create, price in cents, as both sides' create functions take it. */
export interface NewProduct {
  sku: string;
  name: string;
  description?: string | null;
  priceCents: number;
  category: string;
  attributes?: Record<string, unknown> | null;
  stock?: number;
}

export type ProductChanges = Partial<Omit<NewProduct, 'stock'>>;

/** `POST /products` body parsed (a 400 names every bad field), price in cents. */
export function parseNewProduct(body: unknown): NewProduct {
  const { price, ...rest } = parseBody(newProductBody, body);
  return { ...rest, priceCents: price } as NewProduct;
}

/** `PATCH /products/:id` body parsed (a 400 names every bad field), price in cents when given. */
export function parseProductChanges(body: unknown): ProductChanges {
  const { price, ...rest } = parseBody(productChangesBody, body);
  return { ...rest, priceCents: price } as ProductChanges;
}

/** The 409 for a sku another product holds: both sides answer it alike. */
export function skuTakenError(sku: string | undefined, cause?: unknown): ShopError {
  return new ShopError(
    'SHOP_ERR_SKU_TAKEN',
    `sku ${JSON.stringify(sku)} is already used by another product`,
    {
      cause,
    },
  );
}
