import { z } from 'zod';
// the path syntax of comparison rules (one owner of JSONPath-like patterns), not the engine
import { compilePath } from '../compare/json-path.ts';
import type { RouteSpec } from '../routes/route-schema.ts';

/**
 * The `aggregate` block of a route (docs/proxy.md, "Aggregation routes"): the route answers a
 * GET itself by asking several upstreams and merging their JSON answers under each part's name.
 *
 *   parts[].name       key of the part's answer in the merged object
 *   parts[].path       the GET sent for the part; `:name` segments take the value of the same
 *                      parameter in the aggregation route's path (or `each.as`)
 *   parts[].route      a route of the table: its flag decides legacy or new for the part, with
 *                      the same sticky bucket as a plain request; absent: the route's legacy
 *   parts[].timeoutMs  the part's whole budget, from its start (fallback included)
 *   parts[].onFailure  "error": the route fails with the part; "partial": the answer goes out
 *                      without it, named under `missing`
 *   parts[].each       the declared dependency: one GET per distinct value that `select` finds
 *                      in the answer of the earlier part `from`
 */
export const aggregateFailurePolicies = ['error', 'partial'] as const;

/** The key of the merged answer that names the parts left out; no part may take it. */
export const missingKey = 'missing';

const partName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'a JSON key of letters, digits and _, e.g. "orders"')
  .refine((n) => n !== missingKey, `"${missingKey}" is the key that names the parts left out`);

const paramName = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A path pattern without `*` (a part is one concrete GET), optionally with a fixed query. */
const partPath = z
  .string()
  .regex(
    /^(\/(?::[A-Za-z_][A-Za-z0-9_]*|[A-Za-z0-9._~-]+))+(\?[A-Za-z0-9._~=&%-]*)?$/,
    'a path such as "/users/:id/orders" or "/users/:id/orders?pageSize=100" (no "*")',
  );

const selector = z.string().refine((s) => {
  try {
    compilePath(s);
    return true;
  } catch {
    return false;
  }
}, 'a JSONPath-like pattern such as "$.items[*].items[*].productId"');

const part = z
  .object({
    name: partName,
    path: partPath,
    route: z.string().optional(),
    timeoutMs: z.number().int().min(1).max(120_000),
    onFailure: z.enum(aggregateFailurePolicies),
    maxBytes: z
      .number()
      .int()
      .min(1)
      .default(1024 * 1024),
    each: z
      .object({
        from: partName,
        select: selector,
        as: z.string().regex(paramName, 'a parameter name, e.g. "productId"'),
        max: z.number().int().min(1).max(1000).default(50),
      })
      .strict()
      .optional(),
  })
  .strict();

export const aggregateSchema = z
  .object({ parts: z.array(part).min(1) })
  .strict()
  .superRefine((agg, ctx) => {
    const seen = new Set<string>();
    agg.parts.forEach((p, i) => {
      if (seen.has(p.name))
        ctx.addIssue({
          code: 'custom',
          path: ['parts', i, 'name'],
          message: `duplicate part name "${p.name}"`,
        });
      if (p.each && !seen.has(p.each.from))
        ctx.addIssue({
          code: 'custom',
          path: ['parts', i, 'each', 'from'],
          message: `"${p.each.from}" is not a part declared before "${p.name}" (a part depends only on earlier parts)`,
        });
      seen.add(p.name);
    });
  });

export type AggregateSpec = z.output<typeof aggregateSchema>;
export type AggregatePartSpec = AggregateSpec['parts'][number];

/** The `:name` parameters of a path pattern, in order. */
export function paramsOf(path: string): string[] {
  return path
    .split('?')[0]!
    .split('/')
    .filter((s) => s.startsWith(':'))
    .map((s) => s.slice(1));
}

type Issue = { path: (string | number)[]; message: string };

/**
 * Checks that need the whole table: what an aggregation route may be, which routes its parts
 * may name, and that every parameter a part's path uses has a value. Called by the route table
 * schema (routes/route-schema.ts); each problem names its field.
 */
export function aggregateRouteIssues(routes: readonly RouteSpec[]): Issue[] {
  const issues: Issue[] = [];
  const byId = new Map(routes.map((r) => [r.id, r]));
  routes.forEach((r, i) => {
    const agg = r.aggregate;
    if (agg === undefined) {
      if (r.new === undefined)
        issues.push({
          path: ['routes', i, 'new'],
          message: 'required: the new service origin (only an aggregation route has none)',
        });
      return;
    }
    const at = (...rest: (string | number)[]) => ['routes', i, ...rest];
    if (r.new !== undefined)
      issues.push({
        path: at('new'),
        message: 'an aggregation route has no new side of its own: each part names its route',
      });
    if (r.flag !== undefined)
      issues.push({
        path: at('flag'),
        message: 'an aggregation route has no flag of its own: each part follows its route’s flag',
      });
    if (r.methods.length !== 1 || r.methods[0] !== 'GET')
      issues.push({ path: at('methods'), message: 'an aggregation route answers GET only: ["GET"]' });
    const routeParams = r.paths.map((p) => new Set(paramsOf(p)));
    r.paths.forEach((p, j) => {
      if (p.endsWith('/*'))
        issues.push({ path: at('paths', j), message: 'an aggregation route path cannot end in "*"' });
    });
    agg.parts.forEach((p, k) => {
      const partAt = (...rest: (string | number)[]) => at('aggregate', 'parts', k, ...rest);
      if (p.route !== undefined) {
        const target = byId.get(p.route);
        if (target === undefined)
          issues.push({ path: partAt('route'), message: `no route "${p.route}" in the table` });
        else if (target.aggregate !== undefined)
          issues.push({
            path: partAt('route'),
            message: `route "${p.route}" is an aggregation route; a part names a plain route`,
          });
        else if (!target.methods.includes('GET'))
          issues.push({ path: partAt('route'), message: `route "${p.route}" does not route GET` });
      }
      for (const name of paramsOf(p.path)) {
        if (p.each && name === p.each.as) continue;
        const missing = r.paths.filter((_, j) => !routeParams[j]!.has(name));
        if (missing.length > 0)
          issues.push({
            path: partAt('path'),
            message: `":${name}" has no value: not a parameter of ${missing.map((m) => `"${m}"`).join(', ')}${p.each ? ` nor each.as ("${p.each.as}")` : ''}`,
          });
      }
      if (p.each && !paramsOf(p.path).includes(p.each.as))
        issues.push({
          path: partAt('path'),
          message: `the path does not use ":${p.each.as}" (each.as), so every call would be the same`,
        });
    });
  });
  return issues;
}
