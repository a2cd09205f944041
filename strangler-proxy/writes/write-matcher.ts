import { compilePattern } from '../routes/path-pattern.ts';
import type { Route, RouteTable } from '../routes/route-table.ts';

interface WriteRoute {
  route: Route;
  methods: ReadonlySet<string>;
  patterns: readonly RegExp[];
}

/** Per table, its routes' writes compiled once (a table is replaced, never changed). */
const compiled = new WeakMap<RouteTable, readonly WriteRoute[]>();

function writeRoutesOf(table: RouteTable): readonly WriteRoute[] {
  let list = compiled.get(table);
  if (list === undefined) {
    list = table.routes
      .filter((r) => r.spec.writes !== undefined)
      .map((route) => ({
        route,
        methods: new Set(route.spec.writes!.methods),
        patterns: route.spec.writes!.paths.map(compilePattern),
      }));
    compiled.set(table, list);
  }
  return list;
}

/**
 * The route whose `writes` list this method and path, or undefined. Only asked for a request no
 * read matched: a write a route does not list goes to legacy untouched, as before.
 */
export function matchWrite(table: RouteTable, method: string, path: string): Route | undefined {
  const list = writeRoutesOf(table);
  for (let i = 0; i < list.length; i++) {
    const w = list[i]!;
    if (!w.methods.has(method)) continue;
    for (let j = 0; j < w.patterns.length; j++) if (w.patterns[j]!.test(path)) return w.route;
  }
  return undefined;
}
