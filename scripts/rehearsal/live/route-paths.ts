import { SeededRandom } from '../../../legacy-monolith/seed/random.ts';
import { normaliseTarget } from '../../../strangler-proxy/routes/path-normalise.ts';
import { compilePattern } from '../../../strangler-proxy/routes/path-pattern.ts';
import type { ShopFacts } from '../../load/shop-facts.ts';

/** The parts of the proxy's route table the rehearsal needs. */
export interface RouteSpec {
  id: string;
  methods: string[];
  paths: string[];
  /** Origin of the new service. */
  upstreamNew: string;
  legacy: string;
}

/** The route file's shape, as far as the rehearsal reads it. */
export interface RouteFile {
  legacy: string;
  routes: {
    id: string;
    methods?: string[];
    paths: string[];
    new?: string;
    legacy?: string;
    aggregate?: unknown;
  }[];
}

/** The routes a rehearsal can move: an aggregation route has no side of its own (its parts follow their routes). */
export function routesOf(raw: RouteFile): RouteSpec[] {
  return raw.routes.flatMap((r) =>
    r.aggregate !== undefined || r.new === undefined
      ? []
      : [
          {
            id: r.id,
            methods: r.methods ?? ['GET', 'HEAD'],
            paths: r.paths,
            upstreamNew: r.new,
            legacy: r.legacy ?? raw.legacy,
          },
        ],
  );
}

/**
 * Tells which route (if any) a request belongs to, with the proxy's own target normalisation
 * and pattern compiler, so the rehearsal counts exactly the requests the proxy routes.
 */
export function routeMatcher(routes: RouteSpec[]): (method: string, target: string) => string | undefined {
  const compiled = routes.map((r) => ({
    id: r.id,
    methods: new Set(r.methods),
    res: r.paths.map(compilePattern),
  }));
  return (method, target) => {
    const n = normaliseTarget(target);
    if (!n.ok) return undefined; // the proxy refuses such a target before routing
    return compiled.find((c) => c.methods.has(method) && c.res.some((re) => re.test(n.path)))?.id;
  };
}

const sorts = ['id', '-id', 'name', '-name', 'price', '-price', 'createdAt', '-createdAt'];

async function knownOrderIds(
  legacy: string,
  facts: ShopFacts,
  rng: SeededRandom,
  want: number,
): Promise<{ users: number[]; orders: number[] }> {
  const users: number[] = [];
  const orders: number[] = [];
  for (let tries = 0; tries < want * 3 && orders.length < want; tries++) {
    const user = rng.int(1, Math.max(1, facts.maxUserId));
    users.push(user);
    const res = await fetch(`${legacy}/users/${user}/orders?pageSize=5`);
    const body = (await res.json().catch(() => ({}))) as { items?: { id: number }[] };
    for (const o of body.items ?? []) orders.push(o.id);
  }
  return { users, orders };
}

/**
 * `n` GET targets on one route, drawn the way shoppers use it (filters, sorts, pages, details,
 * a few unknown ids), deterministic per seed. Order ids come from real users' histories on
 * legacy, so the orders route is asked about orders that exist.
 */
export async function routeTargets(
  route: RouteSpec,
  facts: ShopFacts,
  legacy: string,
  n: number,
  seed = 7,
): Promise<string[]> {
  const rng = new SeededRandom(seed);
  const out: string[] = [];
  if (route.id === 'products') {
    while (out.length < n) {
      if (rng.chance(0.4)) {
        const q = new URLSearchParams();
        if (rng.chance(0.5)) q.set('category', rng.pick(facts.categories));
        if (rng.chance(0.5)) q.set('sort', rng.pick(sorts));
        if (rng.chance(0.2)) q.set('maxPrice', String(rng.int(20, 300)));
        q.set('page', String(rng.int(1, 3)));
        q.set('pageSize', String(rng.pick([10, 20])));
        out.push(`/products?${q}`);
      } else
        out.push(
          `/products/${rng.chance(0.03) ? facts.maxProductId + rng.int(1, 99) : rng.int(1, facts.maxProductId)}`,
        );
    }
    return out;
  }
  if (route.id === 'orders') {
    const known = await knownOrderIds(legacy, facts, rng, Math.min(n, 50));
    while (out.length < n) {
      if (rng.chance(0.4) && known.users.length > 0)
        out.push(`/users/${rng.pick(known.users)}/orders?pageSize=${rng.pick([5, 10, 20])}`);
      else if (known.orders.length > 0 && !rng.chance(0.03)) out.push(`/orders/${rng.pick(known.orders)}`);
      else out.push(`/orders/${9_000_000 + rng.int(1, 999)}`);
    }
    return out;
  }
  // Another team's route: exercise each path pattern with small ids.
  const plain = route.paths.map((p) => p.replace(/:[^/]+/g, () => String(rng.int(1, 100))));
  while (out.length < n) out.push(rng.pick(plain));
  return out;
}
