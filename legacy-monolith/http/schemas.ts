import { z } from 'zod';
import { moneyField, textField } from '../../contract/index.ts';

/**
 * Request bodies only the monolith takes (the writes). Shapes both sides parse (the read
 * routes' queries) are in contract/; a body moves there with its route. Objects are strict: an
 * unknown key is a 400 naming it.
 */

const maxStock = 1_000_000_000;

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
  name: textField(200),
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
