import { z } from 'zod';
import { maxPriceCents, parseCents } from '../domain/money.ts';
import { productSorts } from '../domain/products.ts';

/** Request shapes of the HTTP API. Objects are strict: an unknown key is a 400 naming it. */

const maxStock = 1_000_000_000;

/** Money in: "12.30" (preferred, as the API answers) or 12.3; at most 2 decimals; → cents. */
const money = (field: string) =>
  z.union([z.string(), z.number()]).transform((value, ctx) => {
    const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : 'x') : value;
    const cents = parseCents(text);
    if (cents === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `${field} must be an amount with at most 2 decimals, e.g. "12.30"; got ${JSON.stringify(value)}`,
      });
      return z.NEVER;
    }
    if (cents > maxPriceCents) {
      ctx.addIssue({ code: 'custom', message: `${field} must be at most 99999999.99` });
      return z.NEVER;
    }
    return cents;
  });

const text = (max: number) =>
  z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

const attributes = z
  .record(z.string(), z.json())
  .nullable()
  .refine(
    (value) => value === null || JSON.stringify(value).length <= 16_384,
    'must be at most 16 KiB of JSON',
  );

const productFields = {
  sku: text(64),
  name: text(255),
  description: z.string().max(10_000, 'must be at most 10000 characters').nullable(),
  price: money('price').refine((cents) => cents >= 1, 'price must be at least 0.01'),
  category: text(64),
  attributes,
};

export const newProductBody = z.strictObject({
  ...productFields,
  description: productFields.description.optional(),
  attributes: attributes.optional(),
  stock: z.int().min(0).max(maxStock).optional(),
});

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

export const stockBody = z.strictObject({ stock: z.int().min(0).max(maxStock) });

export const newUserBody = z.strictObject({
  // Internationalised addresses (Zoë@example.com) are real customers; the domain needs a dot.
  email: z
    .email({ pattern: z.regexes.unicodeEmail, error: 'must be an email address, e.g. ann@example.com' })
    .max(255, 'must be at most 255 characters')
    .refine((email) => /@[^@]+\.[^@.]+$/.test(email), 'must be an email address, e.g. ann@example.com'),
  name: text(200),
});

const positiveId = z.int().min(1).max(Number.MAX_SAFE_INTEGER);

export const orderBody = z.strictObject({
  userId: positiveId,
  items: z
    .array(z.strictObject({ productId: positiveId, quantity: z.int().min(1).max(1000) }))
    .min(1, 'an order needs at least one item')
    .max(50, 'an order takes at most 50 lines')
    .superRefine((items, ctx) => {
      const seen = new Map<number, number>();
      items.forEach((item, index) => {
        const first = seen.get(item.productId);
        if (first !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [index, 'productId'],
            message: `product ${item.productId} is already on items[${first}]; put the whole quantity on one line`,
          });
        } else seen.set(item.productId, index);
      });
    }),
});

export const payBody = z.strictObject({
  method: z.enum(['card', 'paypal', 'bank_transfer'], 'must be one of card, paypal, bank_transfer'),
});

export const cancelBody = z.strictObject({});

/** Query strings: one value per key, digits only for numbers. */
const queryInt = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
    .default(fallback);

const queryMoney = (field: string) =>
  z
    .string()
    .transform((value, ctx) => {
      const cents = parseCents(value);
      if (cents === undefined) {
        ctx.addIssue({ code: 'custom', message: `${field} must be an amount like 12.30` });
        return z.NEVER;
      }
      return cents;
    })
    .optional();

export const pageQuery = {
  page: queryInt(1, 1_000_000, 1),
  pageSize: queryInt(1, 100, 20),
};

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

export const userOrdersQuery = z.strictObject(pageQuery);
