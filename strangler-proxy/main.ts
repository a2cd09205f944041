import { once } from 'node:events';
import http from 'node:http';
import path from 'node:path';
import { exitOnConfigError } from '../lib/config.ts';
import { createLogger } from '../lib/log.ts';
import { createAdminApp } from './admin/admin-app.ts';
import { resolveAdminToken } from './admin/admin-token.ts';
import { Breakers } from './breakers.ts';
import { createCompareHook } from './compare/create-compare-hook.ts';
import { loadProxyConfig, type ProxyConfig } from './config.ts';
import { FlagDecider } from './flags/decider.ts';
import type { FlagStore } from './flags/flag-store.ts';
import { LocalFlagFile } from './flags/local-flag-file.ts';
import { UnleashAdminStore } from './flags/unleash-admin-store.ts';
import { UpstreamPools } from './forward/upstream-pools.ts';
import { createRegistry, ProxyStats } from './metrics.ts';
import { createProxyHandler } from './proxy-handler.ts';
import { createPublicServer } from './public-server.ts';
import { loadRouteTableFile, type RouteTable } from './routes/route-table.ts';
import { RouteWatcher } from './routes/route-watcher.ts';
import type { ShadowHook } from './shadow-hook.ts';

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
  const { token, source: tokenSource } = await resolveAdminToken(config.adminToken, config.tokenFile);
  const stats = new ProxyStats();
  const pools = new UpstreamPools({
    connections: config.connectionsPerUpstream,
    pipelining: config.pipelining,
    connectTimeoutMs: config.connectTimeoutMs,
  });
  const breakers = new Breakers(
    {
      errorThresholdPercentage: config.breakerErrorPercent,
      volumeThreshold: config.breakerVolume,
      resetTimeout: config.breakerResetMs,
      rollingCountTimeout: config.breakerWindowMs,
    },
    log,
  );
  const applyTable = (next: RouteTable) => {
    table = next;
    pools.retain(next.origins);
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
      registry,
      compareStore: () => compare?.store,
      log,
    }),
  );
  admin.listen(config.adminPort, config.adminHost);
  await once(admin, 'listening');
  const adminPort = (admin.address() as { port: number }).port;

  decider = new FlagDecider({
    url: config.unleashUrl ?? `http://127.0.0.1:${adminPort}/api/`,
    token: config.unleashUrl ? config.unleashApiToken : token,
    refreshMs: config.unleashRefreshMs,
    backupPath: path.join(config.dataDir, 'unleash-backup'),
    environment: config.unleashEnvironment,
    log,
  });
  if (!(await decider.waitUntilReady(5000)))
    log.warn('flags not fetched yet: every route serves legacy until they are');

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

  const handler = createProxyHandler({
    config,
    table: () => table,
    pools,
    breakers,
    decider,
    stats,
    hook,
    log,
  });
  const server = createPublicServer(handler, { maxHeaderBytes: config.maxHeaderBytes, stats, log });
  server.listen(config.port, config.host);
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  watcher.start();
  // Printed at any log level: launchers and tests wait for this line.
  console.log(
    `strangler-proxy ready on http://${config.host}:${port} (admin http://${config.adminHost}:${adminPort})`,
  );
  log.info(
    {
      port,
      adminPort,
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
    server.close();
    server.closeIdleConnections();
    admin.close();
    admin.closeAllConnections();
    decider?.destroy();
    breakers.shutdown();
    await Promise.race([hook.close?.(), new Promise((r) => setTimeout(r, 2000))]);
    await pools.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err) => {
  log.fatal({ err }, 'strangler-proxy failed to start');
  process.exit(1);
});
