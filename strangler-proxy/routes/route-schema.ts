import { z } from 'zod';
import { aggregateRouteIssues, aggregateSchema } from '../aggregate/aggregate-schema.ts';
// the rules module only, not compare/index.ts: proxy workers load this file, never the engine
import { compareRulesSchema } from '../compare/rules.ts';
import { bulkheadSchema } from '../limits/bulkhead.ts';

/**
 * The route table (strangler.routes.json). A route is a named group of method + path
 * patterns that move together from legacy to new. Path patterns:
 *   /products        exactly that path (a trailing slash is tolerated)
 *   /products/:id    one non-empty segment per `:name`
 *   /products/*      the prefix and everything below it (`*` only as the last segment)
 */
export const httpMethods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

const upstream = z
  .string()
  .refine((v) => {
    try {
      const u = new URL(v);
      return (
        (u.protocol === 'http:' || u.protocol === 'https:') &&
        (u.pathname === '/' || u.pathname === '') &&
        !u.search &&
        !u.username
      );
    } catch {
      return false;
    }
  }, 'an origin URL without path, query or credentials, e.g. "http://127.0.0.1:3101"')
  .transform((v) => new URL(v).origin);

const pathPattern = z
  .string()
  .regex(
    /^(\/(?::[A-Za-z_][A-Za-z0-9_]*|[A-Za-z0-9._~-]+))*(\/\*)?$|^\/$/,
    'a path pattern such as "/products", "/products/:id" or "/products/*"',
  );

/**
 * A route's rate limits (strangler-proxy/limits/rate-limit.ts applies them): at most `points`
 * requests per fixed window of `durationMs`, per client (`key`: the user id, else the client
 * address; or always the address) and/or for the whole route. Across PROXY_WORKERS, not per worker.
 */
const rateWindow = z
  .object({
    points: z
      .number({ error: 'a whole number of requests ≥ 1' })
      .int('a whole number of requests ≥ 1')
      .min(1, 'a whole number of requests ≥ 1'),
    durationMs: z
      .number({ error: 'the window in whole milliseconds, ≥ 100' })
      .int('the window in whole milliseconds, ≥ 100')
      .min(100, 'the window in whole milliseconds, ≥ 100'),
  })
  .strict();

const rateLimit = z
  .object({
    key: z
      .enum(['user', 'address'], {
        error: '"user" (the user id, else the client address) or "address" (the client address)',
      })
      .default('user'),
    perClient: rateWindow.optional(),
    perRoute: rateWindow.optional(),
  })
  .strict()
  .refine((r) => r.perClient !== undefined || r.perRoute !== undefined, 'needs perClient, perRoute or both');

/** Methods a route's `writes` may list: the ones that change data. */
export const writeMethods = ['POST', 'PUT', 'PATCH', 'DELETE'] as const;

/**
 * The writes a route will move to the new service, and the legacy tables the service will own
 * then (writes.ts checks they hold together across the table). Until the route's writes are
 * switched they go to legacy like any write.
 */
const writes = z
  .object({
    methods: z.array(z.enum(writeMethods, { error: 'a write method: POST, PUT, PATCH or DELETE' })).min(1),
    paths: z.array(pathPattern).min(1),
  })
  .strict();
const ownedTable = z
  .string()
  .regex(
    /^[A-Za-z0-9_$]{1,64}$/,
    'a table of the legacy database, e.g. "products" (letters, digits, _ or $)',
  );

const route = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'lower-case letters, digits and dashes, e.g. "products"'),
    description: z.string().optional(),
    methods: z.array(z.enum(httpMethods)).min(1),
    paths: z.array(pathPattern).min(1),
    legacy: upstream.optional(),
    /** Required, except on an aggregation route (checked with the whole table below). */
    new: upstream.optional(),
    flag: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/, 'an Unleash flag name, e.g. "strangler.products"')
      .optional(),
    writes: writes.optional(),
    owns: z.array(ownedTable).min(1).optional(),
    timeouts: z
      .object({
        headersMs: z.number().int().min(1).default(10_000),
        bodyMs: z.number().int().min(1).default(30_000),
      })
      .strict()
      .default({ headersMs: 10_000, bodyMs: 30_000 }),
    /** Concurrency limit of the route with its upstream, per proxy process (limits/bulkhead.ts). */
    bulkhead: bulkheadSchema.optional(),
    compare: z
      .object({
        enabled: z.boolean().default(true),
        captureRequestBodyMethods: z.array(z.enum(httpMethods)).default([]),
        maxBodyBytes: z.number().int().min(0).optional(),
        shadowMethods: z.array(z.enum(httpMethods)).default(['GET', 'HEAD']),
        /** How legacy and new answers are compared (strangler-proxy/compare/rules.ts). */
        rules: compareRulesSchema.default(compareRulesSchema.parse({})),
        /**
         * How a write's answers are compared (legacy's against the new service's dry run);
         * `rules` when absent. Typically `rules` plus `generated` for the ids and times each side
         * makes up, e.g. ["$.id", "$.createdAt", "$.updatedAt"].
         */
        writeRules: compareRulesSchema.optional(),
        /** After cutover (mode new), legacy is still shadowed and compared for this long. */
        bakePeriodMs: z
          .number()
          .int()
          .min(0)
          .default(15 * 60_000),
      })
      .strict()
      .default({
        enabled: true,
        captureRequestBodyMethods: [],
        shadowMethods: ['GET', 'HEAD'],
        rules: compareRulesSchema.parse({}),
        bakePeriodMs: 15 * 60_000,
      }),
    /** An aggregation route: answered from several upstreams at once (aggregate/aggregate-schema.ts). */
    aggregate: aggregateSchema.optional(),
    /** Requests over it get 429 with Retry-After before any upstream is touched. */
    rateLimit: rateLimit.optional(),
  })
  .strict();

export const routeTableSchema = z
  .object({
    $schema: z.string().optional(),
    legacy: upstream,
    routes: z.array(route),
  })
  .strict()
  .superRefine((table, ctx) => {
    const ids = new Set<string>();
    table.routes.forEach((r, i) => {
      if (ids.has(r.id))
        ctx.addIssue({ code: 'custom', path: ['routes', i, 'id'], message: `duplicate route id "${r.id}"` });
      ids.add(r.id);
    });
    for (const issue of aggregateRouteIssues(table.routes)) ctx.addIssue({ code: 'custom', ...issue });
  });

export type RouteTableInput = z.input<typeof routeTableSchema>;
export type RouteTableFile = z.output<typeof routeTableSchema>;
export type RouteSpec = RouteTableFile['routes'][number];

/**
 * Formats zod issues as `routes[1].new: message` lines so an operator finds the field; given the
 * input, a route's line also names the route by its id (`… (route "products")`).
 */
export function describeIssues(error: z.ZodError, input?: unknown): string[] {
  return error.issues.map((issue) => {
    const where = issue.path
      .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
      .join('');
    return `${where || '(root)'}: ${issue.message}${routeNamed(issue.path, input)}`;
  });
}

function routeNamed(path: readonly PropertyKey[], input: unknown): string {
  if (path[0] !== 'routes' || typeof path[1] !== 'number') return '';
  const id = (input as { routes?: { id?: unknown }[] } | undefined)?.routes?.[path[1]]?.id;
  return typeof id === 'string' ? ` (route "${id}")` : '';
}
