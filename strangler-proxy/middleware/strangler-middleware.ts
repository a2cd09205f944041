import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { dryRunHeader } from '../../contract/index.ts';
import { createLogger, type Logger } from '../../lib/log.ts';
import type { Breakers } from '../breakers.ts';
import { loadProxyConfig, type ProxyConfig } from '../config.ts';
import { type ControlPlane, startControlPlane } from '../control-plane.ts';
import type { FlagDecider } from '../flags/decider.ts';
import type { ProxyStats } from '../metrics.ts';
import { createRequestPath } from '../request-path.ts';
import type { RouteTable } from '../routes/route-table.ts';
import { createServingState } from '../serving.ts';
import { localWriteLink } from '../writes/write-gate.ts';
import { HpmUpstreams } from './hpm-upstreams.ts';

export interface StranglerMiddlewareOptions {
  /**
   * The proxy's settings by their config.ts names (`routesFile`, `adminPort`, `dataDir`,
   * `breakerVolume`…); what is not given here comes from the proxy's environment variables
   * (PROXY_*, UNLEASH_*), then the proxy's defaults. Validated by the same schema.
   */
  settings?: Parameters<typeof loadProxyConfig>[0];
  /**
   * A request no route claims: `legacy` (the default, as the standalone proxy does) or `next`,
   * on to the app's own handlers after this middleware.
   */
  unmatched?: 'legacy' | 'next';
  log?: Logger;
}

export type ExpressNext = (err?: unknown) => void;

export interface StranglerMiddleware {
  /** Mount with `app.use(strangler.handler)`. */
  handler: (req: IncomingMessage, res: ServerResponse, next: ExpressNext) => void;
  config: ProxyConfig;
  /** The admin API (the same as the proxy's: routes, flags, shifts, stats, metrics, comparisons). */
  adminUrl: string;
  adminToken: string;
  table(): RouteTable;
  decider: FlagDecider;
  stats: ProxyStats;
  breakers: Breakers;
  /** The Prometheus registry the admin API's /metrics serves, for an app that serves its own. */
  registry: Registry;
  /** Stops the admin API, the flag client and the comparison engine, and closes upstream connections. */
  close(): Promise<void>;
}

/**
 * Strangler routing inside a team's Express app: the standalone proxy's request path
 * (request-path.ts: parse, match, decide, forward with breaker and fallback, answer, record)
 * with http-proxy-middleware as its upstream client (hpm-upstreams.ts), and the proxy's control
 * plane (control-plane.ts: route table and hot reload, flags through unleash-client, admin API,
 * comparison engine). Nothing here decides anything the proxy decides elsewhere.
 */
export async function createStranglerMiddleware(
  options: StranglerMiddlewareOptions = {},
): Promise<StranglerMiddleware> {
  // one process as the proxy sees it: the app's own process model is the app's (PROXY_WORKERS ignored)
  const config = loadProxyConfig({ ...options.settings, workers: 1 });
  const log = options.log ?? createLogger('strangler-middleware');
  // counters and breakers (and whatever else serves a process) as a proxy process builds them;
  // its own upstream pools stay unused: http-proxy-middleware is this front end's client
  const serving = createServingState(config, log);
  const { stats, breakers } = serving;
  const upstreams = new HpmUpstreams({
    connections: config.connectionsPerUpstream,
    connectTimeoutMs: config.connectTimeoutMs,
  });
  const control: ControlPlane = await startControlPlane({
    config,
    log,
    stats,
    breakers,
    onTable: (next) => upstreams.retain(next.origins),
    writeLink: localWriteLink(serving.writes),
  });
  serving.writes.onOverflow = (route, hold) => control.writes.overflow(route, hold);
  const onRequest = createRequestPath({
    config,
    ...serving,
    pools: upstreams,
    table: control.table,
    decider: control.decider,
    hook: control.hook,
    log,
    overrides: control.overrides,
  });
  const handler =
    options.unmatched === 'next'
      ? (req: IncomingMessage, res: ServerResponse, next: ExpressNext) => {
          dropDryRunMark(req);
          onRequest(req, res, next);
        }
      : (req: IncomingMessage, res: ServerResponse) => onRequest(req, res);
  control.watch();
  let closed: Promise<void> | undefined;
  return {
    handler,
    config,
    adminUrl: `http://${config.adminHost}:${control.adminPort}`,
    adminToken: control.token,
    table: control.table,
    decider: control.decider,
    stats,
    breakers,
    registry: control.registry,
    close() {
      closed ??= (async () => {
        control.stop();
        breakers.shutdown();
        await control.close();
        upstreams.close();
      })();
      return closed;
    },
  };
}

/**
 * The dry-run mark (contract/dry-run.ts) is the proxy's alone: a client's is dropped before the
 * app's own handlers see a request no route claims (a routed one loses it with the other
 * headers the proxy owns, forward/headers.ts).
 */
function dropDryRunMark(req: IncomingMessage): void {
  if (req.headers[dryRunHeader] === undefined) return;
  delete req.headers[dryRunHeader];
  const raw = req.rawHeaders;
  for (let i = raw.length - 2; i >= 0; i -= 2) if (raw[i]!.toLowerCase() === dryRunHeader) raw.splice(i, 2);
}
