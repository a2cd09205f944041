import type { Route, RouteTable } from './route-table.ts';

/** First route whose method set and one of whose patterns match; undefined → legacy, untouched. */
export function matchRoute(table: RouteTable, method: string, path: string): Route | undefined {
  const routes = table.routes;
  for (let i = 0; i < routes.length; i++) {
    const route = routes[i]!;
    if (!route.methods.has(method)) continue;
    const patterns = route.patterns;
    for (let j = 0; j < patterns.length; j++) if (patterns[j]!.test(path)) return route;
  }
  return undefined;
}
