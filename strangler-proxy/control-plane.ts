import { once } from 'node:events';
import http from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from '../lib/log.ts';
import { settledWithin } from '../lib/timeout.ts';
import { createAdminApp } from './admin/admin-app.ts';
import { resolveSecret } from './admin/admin-token.ts';
import { OperatorTokens } from './admin/operators.ts';
import { AuditTrail } from './audit/audit-trail.ts';
import { auditFlagChangesSeen } from './audit/flag-changes-seen.ts';
import type { BreakerStates } from './breakers.ts';
import { type ComparisonStore, createCompareHook } from './compare/index.ts';
import type { ProxyConfig } from './config.ts';
import type { FlagDecider } from './flags/decider.ts';
import type { FlagStore } from './flags/flag-store.ts';
import { LocalFlagFile } from './flags/local-flag-file.ts';
import { loadOverrideSigner, type OverrideSigner } from './flags/tester-override.ts';
import { checkUnleashAccess } from './flags/unleash-access.ts';
import { UnleashAdminStore } from './flags/unleash-admin-store.ts';
import { createRegistry, type ProxyStats } from './metrics.ts';
import { loadRouteTableFile, type RouteTable } from './routes/route-table.ts';
import { RouteWatcher } from './routes/route-watcher.ts';
import { startDecider } from './serving.ts';
import type { ShadowHook } from './shadow-hook.ts';
import { WriteControl, type WriteLink } from './writes/write-control.ts';

/**
 * Everything around the request path that both front ends run the same way: the standalone
 * proxy (main.ts) and the Express middleware (middleware/). The route table and its hot reload,
 * the flag store, the admin API (with the embedded Unleash client API the flags are polled
 * from), this process's unleash client, the metrics registry and the comparison engine as the
 * shadow hook. What serves clients (the proxy's public server or workers, a team's Express
 * app) is the caller's; the counters and breakers it keeps are handed in.
 */
export interface ControlPlane {
  table(): RouteTable;
  token: string;
  tokenSource: string;
  adminPort: number;
  decider: FlagDecider;
  hook: ShadowHook;
  compareStore: ComparisonStore;
  registry: Registry;
  /** Signs testers' overrides (POST /overrides) and checks them on the request path. */
  overrides: OverrideSigner;
  /** Routes' write sides and holds (writes/write-control.ts). */
  writes: WriteControl;
  /** Starts watching the route file (after the caller serves, so a reload finds it ready). */
  watch(): void;
  /** Stops the watcher, the admin API and the unleash client. */
  stop(): void;
  /** Lets the comparison engine finish or drop its background work (after serving stopped). */
  close(): Promise<void>;
}

export interface ControlPlaneOptions {
  config: ProxyConfig;
  log: Logger;
  /** The counters /stats and /metrics read. */
  stats: ProxyStats;
  breakers: BreakerStates;
  /** Collects counters and breakers kept elsewhere (PROXY_WORKERS > 1) before an endpoint reads them. */
  refresh?: () => Promise<void>;
  /** A new route table was accepted (file change or admin edit); the running one is replaced first. */
  onTable?: (table: RouteTable) => void;
  /** Folder name of this process's unleash backup under the data dir (one writer per file). */
  backupName?: string;
  /** Where the routes' write sides and holds go: this process's gate, or the workers. */
  writeLink: WriteLink;
}

/**
 * Throws PROXY_ERR_ROUTE_* when the route table cannot be loaded, PROXY_ERR_UNLEASH_TOKEN when
 * a real Unleash refuses the tokens (flags/unleash-access.ts).
 */
export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const { config, log, stats, breakers } = options;
  let table = await loadRouteTableFile(config.routesFile, config.captureMaxBytes);
  // A real Unleash that refuses our tokens is a configuration error, not a reason to poll on.
  if (config.unleashUrl) await checkUnleashAccess({ ...config, unleashUrl: config.unleashUrl }, log);
  const { token, source: tokenSource } = await resolveSecret(config.adminToken, config.tokenFile);
  const audit = await AuditTrail.open(config.dataDir);
  const operators = new OperatorTokens(config.dataDir, token);
  const overrides = await loadOverrideSigner(config);
  const applyTable = (next: RouteTable) => {
    table = next;
    options.onTable?.(next);
  };
  // A hand edit of the route file: the file is the actor (the admin API audits its own edits).
  const applyFileEdit = (next: RouteTable) => {
    const before = table.file;
    applyTable(next);
    // the admin API's own writes come back through the watcher: same table, nothing to record
    if (JSON.stringify(before) === JSON.stringify(next.file)) return;
    audit
      .append({
        actor: 'routes file',
        action: 'routes.reload',
        target: '*',
        reason: null,
        before,
        after: next.file,
      })
      .catch((err) => log.error({ err }, 'could not append a route file reload to the audit trail'));
  };
  const watcher = new RouteWatcher(config.routesFile, config.captureMaxBytes, applyFileEdit, log);
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
  const writes = await WriteControl.open({
    dataDir: config.dataDir,
    link: options.writeLink,
    maxBoundMs: config.writeHoldMaxMs,
    log,
  });

  const admin = http.createServer(
    createAdminApp({
      token,
      operators,
      audit,
      overrides,
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
      refresh: options.refresh,
      registry,
      compareStore: () => compare?.store,
      writes,
      log,
    }),
  );
  admin.listen(config.adminPort, config.adminHost);
  await once(admin, 'listening');
  const adminPort = (admin.address() as { port: number }).port;

  decider = await startDecider(config, adminPort, token, log, options.backupName);
  auditFlagChangesSeen(decider, () => table, audit, log);

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
  const started = decider;
  return {
    table: () => table,
    token,
    tokenSource,
    adminPort,
    decider: started,
    hook,
    compareStore: compare.store,
    registry,
    overrides,
    writes,
    watch: () => watcher.start(),
    stop() {
      watcher.stop();
      writes.stop();
      admin.close();
      admin.closeAllConnections();
      started.destroy();
    },
    close: async () => {
      await settledWithin(hook.close?.(), 2000);
    },
  };
}
