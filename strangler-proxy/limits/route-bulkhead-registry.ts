import type { Route } from '../routes/route-table.ts';
import { Bulkhead, type BulkheadLimits } from './bulkhead.ts';

/**
 * One bulkhead (bulkhead.ts) per route id in a process, kept across route table reloads so the
 * requests in flight still count against the route's limit after a reload (a new Bulkhead per
 * table would start from zero). Any front end that serves the route table can hold one.
 */
export class RouteBulkheads {
  readonly #byId = new Map<string, { limits: BulkheadLimits; bulkhead: Bulkhead }>();

  for(route: Route): Bulkhead {
    const limits = route.bulkhead!;
    const known = this.#byId.get(route.id);
    if (known === undefined) {
      const bulkhead = new Bulkhead(limits);
      this.#byId.set(route.id, { limits, bulkhead });
      return bulkhead;
    }
    // a reload builds new limit objects: compare by reference, revalidate only on a change
    if (known.limits !== limits) {
      known.limits = limits;
      known.bulkhead.setLimits(limits);
    }
    return known.bulkhead;
  }
}
