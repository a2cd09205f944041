import type { Logger } from '../lib/log.ts';
import type { Breakers } from './breakers.ts';
import type { ProxyConfig } from './config.ts';
import type { FlagDecider } from './flags/decider.ts';
import type { OverrideSigner } from './flags/tester-override.ts';
import type { UpstreamClients } from './forward/upstream-pool.ts';
import { createRateLimitCheck, type RateLimitCheck } from './limits/rate-limit.ts';
import { RouteBulkheads } from './limits/route-bulkhead-registry.ts';
import type { ProxyStats, RouteTargetStats } from './metrics.ts';
import type { Route, RouteTable } from './routes/route-table.ts';
import { defaultHookModes, type ShadowHook } from './shadow-hook.ts';
import type { WriteGate } from './writes/write-gate.ts';

export interface ProxyDeps {
  config: ProxyConfig;
  table: () => RouteTable;
  /** The upstream client: the proxy's own pools, or the Express middleware's (middleware/). */
  pools: UpstreamClients;
  breakers: Breakers;
  decider: FlagDecider;
  stats: ProxyStats;
  hook: ShadowHook | undefined;
  log: Logger;
  /** Routes' rate limits (limits/rate-limit.ts); counted in this process when not given. */
  rateLimits?: RateLimitCheck;
  /** Checks testers' overrides (flags/tester-override.ts); without it none is honoured. */
  overrides?: OverrideSigner;
  /** Routes' write sides and holds in this process (writes/write-gate.ts); none: writes go to legacy. */
  writes?: WriteGate;
}

/** A route's counters for each side, looked up once per route (recordOutcome, record-outcome.ts). */
export interface SideStats {
  legacy: RouteTargetStats;
  new: RouteTargetStats;
}

/**
 * What every step of the request path reads (request-path.ts), built once per process (one
 * per worker): each request's state object points here, so the steps are plain functions of
 * that state, with no closure over these made per request.
 */
export class ProxyContext {
  readonly config: ProxyConfig;
  readonly table: () => RouteTable;
  readonly pools: UpstreamClients;
  readonly breakers: Breakers;
  readonly decider: FlagDecider;
  readonly stats: ProxyStats;
  readonly hook: ShadowHook | undefined;
  readonly log: Logger;
  readonly rateLimits: RateLimitCheck;
  readonly overrides: OverrideSigner | undefined;
  readonly writes: WriteGate | undefined;
  /** The modes whose exchanges the hook wants teed; none without a hook. */
  readonly hookModes: ReadonlySet<string>;
  /** The response header naming the side that served (PROXY_TARGET_HEADER). */
  readonly targetHeader: string;
  /** Counters per route (undefined: unmatched), cached so no label key is built per request. */
  readonly sideStats = new Map<Route | undefined, SideStats>();
  /** This process's bulkheads, per route with a limit (limits/route-bulkhead-registry.ts). */
  readonly bulkheads = new RouteBulkheads();

  constructor(deps: ProxyDeps) {
    this.config = deps.config;
    this.table = deps.table;
    this.pools = deps.pools;
    this.breakers = deps.breakers;
    this.decider = deps.decider;
    this.stats = deps.stats;
    this.hook = deps.hook;
    this.log = deps.log;
    this.rateLimits = deps.rateLimits ?? createRateLimitCheck('memory');
    this.overrides = deps.overrides;
    this.writes = deps.writes;
    this.hookModes = deps.hook ? (deps.hook.modes ?? defaultHookModes) : new Set();
    this.targetHeader = deps.config.targetHeader;
  }
}
