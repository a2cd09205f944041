import { compilePath, type PathPattern } from '../compare/json-path.ts';
import type { Route } from '../routes/route-table.ts';
import { type AggregatePartSpec, type AggregateSpec, paramsOf } from './aggregate-schema.ts';

/** An aggregation route's parts, compiled once per table load (routes/route-table.ts). */
export interface AggregatePlan {
  /** One per route path: the regex with one group per `:name`, and the names in order. */
  readonly params: readonly { regex: RegExp; names: readonly string[] }[];
  readonly parts: readonly AggregatePart[];
}

export interface AggregatePart {
  readonly name: string;
  readonly spec: AggregatePartSpec;
  /** The route whose flag decides the part's side; undefined: the aggregation route's legacy. */
  readonly route: Route | undefined;
  /** The path split at its `:name` segments: literal text, then parameter names in between. */
  readonly pieces: readonly (string | { param: string })[];
  readonly query: string;
  readonly timeoutMs: number;
  readonly onFailure: 'error' | 'partial';
  readonly maxBytes: number;
  readonly each:
    | { readonly from: number; readonly select: PathPattern; readonly as: string; readonly max: number }
    | undefined;
}

/**
 * `routes` are the table's plain routes by id. The schema has checked every reference
 * (aggregate-schema.ts: aggregateRouteIssues), so a missing one here is a bug.
 */
export function compileAggregate(
  paths: readonly string[],
  spec: AggregateSpec,
  routes: ReadonlyMap<string, Route>,
): AggregatePlan {
  const params = paths.map((p) => {
    const names = paramsOf(p);
    const source = p === '/' ? '' : p.replace(/\/:[A-Za-z_][A-Za-z0-9_]*/g, '/([^/]+)').replace(/\./g, '\\.');
    return { regex: new RegExp(`^${source}/?$`), names };
  });
  const index = new Map(spec.parts.map((p, i) => [p.name, i]));
  const parts = spec.parts.map((p): AggregatePart => {
    const [path, query] = p.path.split('?') as [string, string | undefined];
    const pieces: (string | { param: string })[] = [];
    for (const segment of path.split('/').slice(1)) {
      pieces.push('/');
      pieces.push(segment.startsWith(':') ? { param: segment.slice(1) } : segment);
    }
    const route = p.route === undefined ? undefined : routes.get(p.route);
    if (p.route !== undefined && route === undefined) throw new Error(`part route "${p.route}" not resolved`);
    return {
      name: p.name,
      spec: p,
      route,
      pieces,
      query: query ? `?${query}` : '',
      timeoutMs: p.timeoutMs,
      onFailure: p.onFailure,
      maxBytes: p.maxBytes,
      each: p.each && {
        from: index.get(p.each.from)!,
        select: compilePath(p.each.select),
        as: p.each.as,
        max: p.each.max,
      },
    };
  });
  return { params, parts };
}

/** The route's parameters in a matched path (raw segments, still percent-encoded). */
export function paramsIn(plan: AggregatePlan, path: string): Map<string, string> {
  for (const { regex, names } of plan.params) {
    const m = regex.exec(path);
    if (m) return new Map(names.map((n, i) => [n, m[i + 1]!]));
  }
  return new Map();
}

/** The part's request target, with the route's parameters and (for `each`) one value. */
export function partTarget(part: AggregatePart, params: ReadonlyMap<string, string>, value?: string): string {
  let out = '';
  for (const piece of part.pieces) {
    if (typeof piece === 'string') out += piece;
    else if (part.each && piece.param === part.each.as) out += encodeURIComponent(value!);
    else out += params.get(piece.param)!;
  }
  return out + part.query;
}
