import { ProxyError } from '../errors.ts';
import type { RouteTableFile } from './route-schema.ts';
import { writeMethods } from './route-schema.ts';

/**
 * What the schema cannot say field by field about routes that take writes: a route that moves
 * writes names the tables its service will own, and the reverse; one table has one owner; one
 * write goes to one route; and a route's writes are not also among its reads (`methods`), where
 * they would be routed like reads. Throws PROXY_ERR_ROUTE_WRITES_INVALID naming each problem.
 */
export function checkRouteWrites(file: RouteTableFile, source: string): void {
  const problems: string[] = [];
  const ownerOf = new Map<string, string>();
  const writeOf = new Map<string, string>();
  file.routes.forEach((r, i) => {
    const at = `routes[${i}] (${r.id})`;
    if (r.writes && !r.owns)
      problems.push(
        `${at}: writes without owns: name the tables its service will own, e.g. "owns": ["products"]`,
      );
    if (r.owns && !r.writes)
      problems.push(
        `${at}: owns ${r.owns.join(', ')} without writes: list the write methods and paths that move with them`,
      );
    const seen = new Set<string>();
    for (const table of r.owns ?? []) {
      if (seen.has(table)) problems.push(`${at}.owns: "${table}" is listed twice`);
      seen.add(table);
      const owner = ownerOf.get(table);
      if (owner !== undefined && owner !== r.id)
        problems.push(
          `${at}.owns: table "${table}" is already owned by route "${owner}": a table has one owner`,
        );
      else ownerOf.set(table, r.id);
    }
    const readWrites = r.writes
      ? r.methods.filter((m) => (writeMethods as readonly string[]).includes(m))
      : [];
    if (readWrites.length > 0)
      problems.push(
        `${at}.methods: ${readWrites.join(', ')} listed with the reads of a route that has writes: move ${readWrites.length === 1 ? 'it' : 'them'} to writes.methods`,
      );
    for (const m of r.writes?.methods ?? [])
      for (const p of r.writes?.paths ?? []) {
        const key = `${m} ${p}`;
        const other = writeOf.get(key);
        if (other !== undefined && other !== r.id)
          problems.push(`${at}.writes: ${key} is already a write of route "${other}"`);
        else writeOf.set(key, r.id);
      }
  });
  if (problems.length > 0)
    throw new ProxyError(
      'PROXY_ERR_ROUTE_WRITES_INVALID',
      `${source}: the routes' writes do not hold together:\n  - ${problems.join('\n  - ')}`,
      {
        status: 400,
        context: { problems },
      },
    );
}
