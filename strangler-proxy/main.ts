import type http from 'node:http';
import { exitOnConfigError } from '../lib/config.ts';
import { createLogger } from '../lib/log.ts';
import type { BreakerStates } from './breakers.ts';
import { loadProxyConfig, type ProxyConfig } from './config.ts';
import { type ControlPlane, startControlPlane } from './control-plane.ts';
import { ProxyError } from './errors.ts';
import { serveClusterRateLimits } from './limits/rate-limit.ts';
import { ProxyStats } from './metrics.ts';
import { createServingState, listenPublic } from './serving.ts';
import { ProxyWorkers } from './workers.ts';
import { localWriteLink } from './writes/write-gate.ts';

const log = createLogger('strangler-proxy');

async function main(): Promise<void> {
  let config: ProxyConfig;
  try {
    config = loadProxyConfig();
  } catch (err) {
    exitOnConfigError(err);
  }
  // One process serves traffic itself; with PROXY_WORKERS > 1 this is the primary and the
  // workers serve (strangler-proxy/workers.ts): the admin API then reads their combined counters.
  const serving = config.workers === 1 ? createServingState(config, log) : undefined;
  let workers: ProxyWorkers | undefined;
  const stats = serving?.stats ?? new ProxyStats();
  const breakers: BreakerStates = serving?.breakers ?? {
    stateOf: (origin) => workers?.breakers.stateOf(origin) ?? 'closed',
    entries: () => workers?.breakers.entries() ?? [],
  };
  // Route table, flags, admin API, unleash client, comparison engine (control-plane.ts).
  let control: ControlPlane;
  try {
    control = await startControlPlane({
      config,
      log,
      stats,
      breakers,
      refresh: serving ? undefined : async () => workers?.refresh(stats),
      onTable: (next) => {
        serving?.pools.retain(next.origins);
        workers?.applyTable(next.file);
      },
      // the routes' write sides and holds: this process's gate, or every worker's (workers.ts)
      writeLink: serving
        ? localWriteLink(serving.writes)
        : {
            apply: (states) => workers?.applyWrites(states),
            counts: async () => (await workers?.writeCounts()) ?? [],
          },
    });
    if (serving) serving.writes.onOverflow = (route, hold) => control.writes.overflow(route, hold);
  } catch (err) {
    // configuration a start cannot go on with: a bad route table, Unleash refusing our tokens
    if (!(err instanceof ProxyError)) throw err;
    if (err.code === 'PROXY_ERR_UNLEASH_TOKEN') process.stderr.write(`${err.code}: ${err.message}\n`);
    else if (err.code.startsWith('PROXY_ERR_ROUTE_') || err.code === 'PROXY_ERR_WRITE_SIDES_INVALID')
      process.stderr.write(`${err.message}\n`);
    else throw err;
    process.exit(2);
  }
  const { adminPort, decider, hook } = control;
  const table = control.table;

  let server: http.Server | undefined;
  let port: number;
  if (serving) {
    ({ server, port } = await listenPublic(config, serving, {
      table,
      decider,
      hook,
      log,
      overrides: control.overrides,
    }));
  } else {
    // the workers' rate-limit counters live here: a limit of N is N across all of them
    serveClusterRateLimits();
    workers = new ProxyWorkers(
      config.workers,
      adminPort,
      {
        hook,
        shed: (routeId) => control.compareStore.count(routeId, 'shed'),
        writes: control.writes,
      },
      log,
    );
    port = await workers.start();
  }
  control.watch();
  // Printed at any log level: launchers and tests wait for this line.
  console.log(
    `strangler-proxy ready on http://${config.host}:${port} (admin http://${config.adminHost}:${adminPort})`,
  );
  log.info(
    {
      port,
      adminPort,
      workers: config.workers,
      routes: table().routes.map((r) => r.id),
      flags: config.unleashUrl ? `unleash ${config.unleashUrl}` : `embedded (${config.flagsFile})`,
      adminToken: control.tokenSource,
    },
    'started',
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    server?.close();
    server?.closeIdleConnections();
    // held writes are answered (by the side their route is on), not dropped
    serving?.writes.releaseAll();
    const workersDone = workers?.stop();
    control.stop();
    serving?.breakers.shutdown();
    await workersDone;
    await control.close();
    await serving?.pools.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err) => {
  log.fatal({ err }, 'strangler-proxy failed to start');
  process.exit(1);
});
