import { envValue } from '../../../lib/config.ts';
import { resolveServerUrl } from '../../../lib/database/server-url.ts';
import { fetchJson, fetchText } from '../../cli/fetch-text.ts';
import { lagOf } from '../../cli/status-probe.ts';
import type { ShopFacts } from '../../load/shop-facts.ts';
import { discoverShop } from '../../load/shop-facts.ts';
import type { Endpoints } from '../../up/endpoints.ts';
import type { RehearsalPorts, ShiftTarget } from '../engine.ts';
import type { ShadowFigures } from '../figures.ts';
import { RehearsalError } from '../thresholds.ts';
import { measureBackfill } from './backfill.ts';
import { measureParity } from './parity.ts';
import { ProxyAdmin, readAdminToken } from './proxy-admin.ts';
import { compareCountsOf, routeCounters } from './proxy-counters.ts';
import { type RouteSpec, routeMatcher, routeTargets } from './route-paths.ts';
import { storeMappings } from './store-mappings.ts';
import { measureTraffic } from './traffic.ts';

export interface LivePorts extends RehearsalPorts {
  routes: RouteSpec[];
  admin: ProxyAdmin;
}

async function serviceLag(upstream: string): Promise<number | null> {
  try {
    return lagOf((await fetchJson(`${upstream}/health`, 3000)).body) ?? null;
  } catch {
    return null;
  }
}

async function sendAll(base: string, targets: string[], concurrency = 4): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      const target = targets[next++]!;
      try {
        await fetchText(`${base}${target}`);
      } catch {
        // counted by the proxy as an error; the gates read its counters
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** The rehearsal's ports wired to a running toolkit: proxy admin API, load generator, databases. */
export async function livePorts(
  e: Endpoints,
  env: NodeJS.ProcessEnv = process.env,
  seed = 1,
): Promise<LivePorts> {
  const admin = new ProxyAdmin(e.admin, await readAdminToken(e.adminTokenFile, e.adminToken));
  const routes = await admin.routeTable();
  const belongs = routeMatcher(routes);
  let facts: ShopFacts | undefined;
  const shopFacts = async () => {
    facts ??= await discoverShop(e.legacy);
    return facts;
  };
  const route = (id: string) => {
    const r = routes.find((x) => x.id === id);
    if (!r)
      throw new RehearsalError(
        'REHEARSE_ERR_UNKNOWN_ROUTE',
        `no route "${id}" in the proxy's route table; routes: ${routes.map((x) => x.id).join(', ')}`,
      );
    return r;
  };
  const shiftTo = (to: ShiftTarget) => (to === 100 ? 'new' : String(to));
  let window = 0;

  return {
    routes,
    admin,
    shift: async (id, to) => {
      await admin.shift(id, shiftTo(to), undefined, 'strangler rehearse');
    },
    legacyBaseline: async (id, t, onProgress) =>
      measureTraffic({
        target: e.legacy,
        route: id,
        belongs: (r) => belongs(r.method, r.path) === id,
        durationMs: t.canary.stepDurationMs,
        t,
        facts: await shopFacts(),
        seed: seed + window++,
        onProgress,
      }),
    parity: async (id, t) =>
      measureParity(
        e.proxy,
        e.legacy,
        await routeTargets(route(id), await shopFacts(), e.legacy, t.parity.requests, seed),
      ),
    backfill: async (id, t, onProgress) => {
      const mapping = storeMappings[id];
      return measureBackfill({
        serverUrl: envValue('MYSQL_URL', env) ?? (await resolveServerUrl()).url,
        legacyDatabase: envValue('SHOP_DB', env) ?? 'shop',
        serviceDatabase: (mapping && envValue(mapping.databaseEnv, env)) ?? mapping?.defaultDatabase ?? '',
        mapping,
        route: id,
        settleTimeoutMs: t.backfill.settleTimeoutMs,
        lag: () => serviceLag(route(id).upstreamNew),
        onProgress,
      });
    },
    shadow: async (id, t): Promise<ShadowFigures> => {
      const targets = await routeTargets(
        route(id),
        await shopFacts(),
        e.legacy,
        t.shadow.requests,
        seed + 100,
      );
      const before = await compareCountsOf(admin, id);
      await sendAll(e.proxy, targets);
      await new Promise((r) => setTimeout(r, 1000));
      const after = await compareCountsOf(admin, id);
      return {
        requests: targets.length,
        compared: after.compared - before.compared,
        mismatches: after.mismatches - before.mismatches,
        noise: after.noise - before.noise,
        shadowErrors: after.errors - before.errors,
        statusDifferences: after.statusDifferences - before.statusDifferences,
        examples: [],
      };
    },
    traffic: async (id, durationMs, t, onProgress) =>
      measureTraffic({
        target: e.proxy,
        route: id,
        belongs: (r) => belongs(r.method, r.path) === id,
        durationMs,
        t,
        facts: await shopFacts(),
        seed: seed + window++,
        counters: () => routeCounters(admin, id),
        onProgress,
      }),
  };
}
