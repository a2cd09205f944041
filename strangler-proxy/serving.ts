import { once } from 'node:events';
import type http from 'node:http';
import path from 'node:path';
import type { Logger } from '../lib/log.ts';
import { Breakers } from './breakers.ts';
import type { ProxyConfig } from './config.ts';
import { FlagDecider } from './flags/decider.ts';
import type { OverrideSigner } from './flags/tester-override.ts';
import { UpstreamPools } from './forward/upstream-pools.ts';
import { createPublicServer } from './front/client-connections.ts';
import { createRateLimitCheck, type RateLimitCheck } from './limits/rate-limit.ts';
import { ProxyStats } from './metrics.ts';
import { createRequestPath } from './request-path.ts';
import type { RouteTable } from './routes/route-table.ts';
import type { ShadowHook } from './shadow-hook.ts';
import { WriteGate } from './writes/write-gate.ts';

/**
 * What serves client traffic, built the same way in a single-process proxy and in each
 * worker of PROXY_WORKERS > 1 (strangler-proxy/workers.ts): per-process counters, upstream
 * pools and breakers, the hot-path handler and the public server.
 */
export interface ServingState {
  stats: ProxyStats;
  pools: UpstreamPools;
  breakers: Breakers;
  rateLimits: RateLimitCheck;
  /** Routes' write sides and holds in this process (writes/write-gate.ts). */
  writes: WriteGate;
}

/**
 * How much longer than a hold's bound a serving process waits before it lets the held writes go
 * by itself: the primary ends every hold at its bound; this is the floor when it cannot.
 */
const holdGraceMs = 2000;

export function createServingState(config: ProxyConfig, log: Logger): ServingState {
  return {
    stats: new ProxyStats(),
    pools: new UpstreamPools({
      connections: config.connectionsPerUpstream,
      connectTimeoutMs: config.connectTimeoutMs,
    }),
    breakers: new Breakers(
      {
        errorThresholdPercentage: config.breakerErrorPercent,
        volumeThreshold: config.breakerVolume,
        resetTimeout: config.breakerResetMs,
        rollingCountTimeout: config.breakerWindowMs,
      },
      log,
    ),
    // workers count in the primary, so a limit holds across them (limits/rate-limit.ts)
    rateLimits: createRateLimitCheck(config.workers > 1 ? 'cluster' : 'memory'),
    writes: new WriteGate(config.writeHoldMaxRequests, holdGraceMs, log),
  };
}

/**
 * The unleash client of one process: against a real Unleash when UNLEASH_URL is set, else
 * against the admin server's embedded client API (the same code path either way).
 */
export async function startDecider(
  config: ProxyConfig,
  adminPort: number,
  adminToken: string,
  log: Logger,
  /** Workers each keep their own backup (see workers.ts): one writer per file. */
  backupName = 'unleash-backup',
): Promise<FlagDecider> {
  const decider = new FlagDecider({
    url: config.unleashUrl ?? `http://127.0.0.1:${adminPort}/api/`,
    token: config.unleashUrl ? config.unleashApiToken : adminToken,
    refreshMs: config.unleashRefreshMs,
    backupPath: path.join(config.dataDir, backupName),
    environment: config.unleashEnvironment,
    log,
  });
  if (!(await decider.waitUntilReady(5000)))
    log.warn('flags not fetched yet: every route serves legacy until they are');
  return decider;
}

export async function listenPublic(
  config: ProxyConfig,
  state: ServingState,
  deps: {
    table: () => RouteTable;
    decider: FlagDecider;
    hook: ShadowHook | undefined;
    log: Logger;
    overrides: OverrideSigner;
  },
): Promise<{ server: http.Server; port: number }> {
  const handler = createRequestPath({ config, ...state, ...deps });
  const server = createPublicServer(handler, {
    maxHeaderBytes: config.maxHeaderBytes,
    clientIdleMs: config.clientIdleMs,
    stats: state.stats,
  });
  server.listen(config.port, config.host);
  await once(server, 'listening');
  return { server, port: (server.address() as { port: number }).port };
}
