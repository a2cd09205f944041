import { z } from 'zod';
import { maxStock, textField } from '../../contract/index.ts';

/**
 * Request bodies only the monolith takes. Shapes both sides parse (the read routes' queries,
 * the product create and change bodies) are in contract/; a body moves there with its route.
 * Objects are strict: an unknown key is a 400 naming it.
 */

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
