import { z } from 'zod';
import { ShopError, type ShopErrorCode } from './errors.ts';
import { maxPriceCents, parseCents } from './money.ts';

/**
 * How the shop's API reads a request, whichever side answers: the zod building blocks of the
 * request schemas (each resource's own schemas are in its module, e.g. products.ts) and the
 * parsers that turn a failed schema into the 400 naming every bad field. Objects are strict:
 * an unknown key is a 400 naming it.
 */

/**
 * Money in a body: "12.30" (preferred, as the API answers) or 12.3; at most 2 decimals and at
 * most 99999999.99 (a DECIMAL(10,2) price); → cents.
 */
export const moneyField = (field: string) =>
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

/** Text in a body: trimmed, not empty, at most `max` characters. */
export const textField = (max: number) =>
  z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

/** Query strings: one value per key, digits only for numbers. */
export const queryInt = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
    .default(fallback);

export const queryMoney = (field: string) =>
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

/** `page` and `pageSize` of every paged list. */
export const pageQuery = {
  page: queryInt(1, 1_000_000, 1),
  pageSize: queryInt(1, 100, 20),
};

/** "items.1.quantity" style paths, as a client would write them: items[1].quantity. */
function pathText(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (text, key) =>
      typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key),
    '',
  );
}

/** Every problem in one message, each naming its field: "price: must be ...; items[0].quantity: ...". */
export function describeIssues(issues: readonly z.core.$ZodIssue[], root: string): string {
  return issues
    .map((issue) => {
      const where = pathText(issue.path) || root;
      return `${where}: ${issue.message}`;
    })
    .join('; ');
}

function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  code: ShopErrorCode,
  root: string,
  prefix: string,
): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new ShopError(code, `${prefix}${describeIssues(result.error.issues, root)}`);
  }
  return result.data;
}

export const maxBodyDepth = 32;

/** Depth of nested arrays/objects, walked without recursion (a 100 KiB body can nest 50 000 deep). */
function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > max) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}

export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ShopError(
      'SHOP_ERR_INVALID_BODY',
      'the request body must be a JSON object sent with Content-Type: application/json',
    );
  }
  // The schemas (and JSON.stringify) recurse; refuse absurd nesting before they see it.
  if (nestsDeeperThan(body, maxBodyDepth)) {
    throw new ShopError('SHOP_ERR_INVALID_BODY', `the request body nests deeper than ${maxBodyDepth} levels`);
  }
  return parseWith(schema, body, 'SHOP_ERR_INVALID_BODY', 'body', 'invalid body: ');
}

export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.infer<S> {
  return parseWith(schema, query ?? {}, 'SHOP_ERR_INVALID_QUERY', 'query', 'invalid query: ');
}

const idPattern = /^[1-9][0-9]{0,15}$/;

/** Path ids are positive whole numbers; anything else is a 400 naming the parameter. */
export function parseId(value: unknown, what: string): number {
  const text = String(value);
  const id = Number(text);
  if (!idPattern.test(text) || !Number.isSafeInteger(id)) {
    throw new ShopError(
      'SHOP_ERR_INVALID_ID',
      `${what} id must be a positive whole number, got ${JSON.stringify(text.slice(0, 40))}`,
    );
  }
  return id;
}
