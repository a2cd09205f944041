import { once } from 'node:events';
import http from 'node:http';
import { exitOnConfigError } from '../lib/config.ts';
import { createLogger } from '../lib/log.ts';
import { settledWithin } from '../lib/timeout.ts';
import { createAdminApp } from './admin/admin-app.ts';
import { resolveAdminToken } from './admin/admin-token.ts';
import type { BreakerStates } from './breakers.ts';
import { createCompareHook } from './compare/index.ts';
import { loadProxyConfig, type ProxyConfig } from './config.ts';
import { ProxyError } from './errors.ts';
import type { FlagDecider } from './flags/decider.ts';
import type { FlagStore } from './flags/flag-store.ts';
import { LocalFlagFile } from './flags/local-flag-file.ts';
import { checkUnleashAccess } from './flags/unleash-access.ts';
import { UnleashAdminStore } from './flags/unleash-admin-store.ts';
import { serveClusterRateLimits } from './limits/rate-limit.ts';
import { createRegistry, ProxyStats } from './metrics.ts';
import { loadRouteTableFile, type RouteTable } from './routes/route-table.ts';
import { RouteWatcher } from './routes/route-watcher.ts';
import { createServingState, listenPublic, startDecider } from './serving.ts';
import type { ShadowHook } from './shadow-hook.ts';
import { ProxyWorkers } from './workers.ts';

const log = createLogger('strangler-proxy');

async function main(): Promise<void> {
  let config: ProxyConfig;
  try {
    config = loadProxyConfig();
  } catch (err) {
    exitOnConfigError(err);
  }
  let table: RouteTable;
  try {
    table = await loadRouteTableFile(config.routesFile, config.captureMaxBytes);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  // A real Unleash that refuses our tokens is a configuration error, not a reason to poll on.
  if (config.unleashUrl) {
    try {
      await checkUnleashAccess({ ...config, unleashUrl: config.unleashUrl }, log);
    } catch (err) {
      if (!(err instanceof ProxyError)) throw err;
      process.stderr.write(`${err.code}: ${err.message}\n`);
      process.exit(2);
    }
  }
  const { token, source: tokenSource } = await resolveAdminToken(config.adminToken, config.tokenFile);
  // One process serves traffic itself; with PROXY_WORKERS > 1 this is the primary and the
  // workers serve (strangler-proxy/workers.ts): the admin API then reads their combined counters.
  const serving = config.workers === 1 ? createServingState(config, log) : undefined;
  let workers: ProxyWorkers | undefined;
  const stats = serving?.stats ?? new ProxyStats();
  const breakers: BreakerStates = serving?.breakers ?? {
    stateOf: (origin) => workers?.breakers.stateOf(origin) ?? 'closed',
    entries: () => workers?.breakers.entries() ?? [],
  };
  const applyTable = (next: RouteTable) => {
    table = next;
    serving?.pools.retain(next.origins);
    workers?.applyTable(next.file);
  };
  const watcher = new RouteWatcher(config.routesFile, config.captureMaxBytes, applyTable, log);
  const localFlags = config.unleashUrl ? undefined : new LocalFlagFile(config.flagsFile);
  const flags: FlagStore =
    localFlags ??
    new UnleashAdminStore(
      config.unleashUrl!,
      config.unleashAdminToken ?? '',
      config.unleashProject,
      config.unleashEnvironment,
    );
  let decider: FlagDecider | undefined;
  const registry = createRegistry(stats, () => breakers.entries());
  let compare: Awaited<ReturnType<typeof createCompareHook>> | undefined;

  const admin = http.createServer(
    createAdminApp({
      token,
      routesFile: config.routesFile,
      captureMaxBytes: config.captureMaxBytes,
      table: () => table,
      applyTable,
      watcher,
      flags,
      localFlags,
      decider: () => decider,
      stats,
      breakers,
      refresh: serving ? undefined : async () => workers?.refresh(stats),
      registry,
      compareStore: () => compare?.store,
      log,
    }),
  );
  admin.listen(config.adminPort, config.adminHost);
  await once(admin, 'listening');
  const adminPort = (admin.address() as { port: number }).port;

  decider = await startDecider(config, adminPort, token, log);

  // The shadow hook: the ONE place the comparison engine plugs in (strangler-proxy/compare/).
  compare = await createCompareHook({
    settings: {
      dataDir: config.dataDir,
      concurrency: config.shadowConcurrency,
      queueLimit: config.compareQueue,
      noiseSampleRate: config.compareNoiseSampleRate,
      noiseWarmup: config.compareNoiseWarmup,
      lagWaitMs: config.compareLagWaitMs,
      maxRecords: config.compareMaxRecords,
      legacyMysqlUrl: config.legacyMysqlUrl,
      captureFile: config.captureFile,
      captureSampleRate: config.captureSampleRate,
      redactFields: config.compareRedactFields,
    },
    table: () => table,
    registry,
    log,
  });
  const hook: ShadowHook = compare.hook;
  const store = compare.store;

  let server: http.Server | undefined;
  let port: number;
  if (serving) {
    ({ server, port } = await listenPublic(config, serving, { table: () => table, decider, hook, log }));
  } else {
    // the workers' rate-limit counters live here: a limit of N is N across all of them
    serveClusterRateLimits();
    workers = new ProxyWorkers(
      config.workers,
      adminPort,
      { hook, shed: (routeId) => store.count(routeId, 'shed') },
      log,
    );
    port = await workers.start();
  }
  watcher.start();
  // Printed at any log level: launchers and tests wait for this line.
  console.log(
    `strangler-proxy ready on http://${config.host}:${port} (admin http://${config.adminHost}:${adminPort})`,
  );
  log.info(
    {
      port,
      adminPort,
      workers: config.workers,
      routes: table.routes.map((r) => r.id),
      flags: config.unleashUrl ? `unleash ${config.unleashUrl}` : `embedded (${config.flagsFile})`,
      adminToken: tokenSource,
    },
    'started',
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    watcher.stop();
    server?.close();
    server?.closeIdleConnections();
    const workersDone = workers?.stop();
    admin.close();
    admin.closeAllConnections();
    decider?.destroy();
    serving?.breakers.shutdown();
    await workersDone;
    await settledWithin(hook.close?.(), 2000);
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
