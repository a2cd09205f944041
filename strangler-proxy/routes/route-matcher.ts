import type { Route, RouteTable } from './route-table.ts';

/**
 * First route whose method set and one of whose patterns match, reads first, then the route's
 * writes (`writes`); undefined → legacy, untouched.
 */
export function matchRoute(table: RouteTable, method: string, path: string): Route | undefined {
  const routes = table.routes;
  for (let i = 0; i < routes.length; i++) {
    const route = routes[i]!;
    const patterns = route.methods.has(method)
      ? route.patterns
      : route.writeMethods.has(method)
        ? route.writePatterns
        : undefined;
    if (patterns === undefined) continue;
    for (let j = 0; j < patterns.length; j++) if (patterns[j]!.test(path)) return route;
  }
  return undefined;
}
