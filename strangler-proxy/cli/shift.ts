import os from 'node:os';
import { Command } from 'commander';
import { aggregateShiftError } from '../aggregate/not-shiftable.ts';
import { AuditTrail } from '../audit/audit-trail.ts';
import { loadProxyConfig } from '../config.ts';
import { ProxyError } from '../errors.ts';
import { applyShift, type FlagState } from '../flags/flag-mapping.ts';
import type { FlagStore } from '../flags/flag-store.ts';
import { LocalFlagFile } from '../flags/local-flag-file.ts';
import { UnleashAdminStore } from '../flags/unleash-admin-store.ts';
import { loadRouteTableFile } from '../routes/route-table.ts';

export interface ShiftResult {
  route: string;
  flag: string;
  before: FlagState;
  after: FlagState;
  store: FlagStore['kind'];
}

/**
 * `strangler shift <route> <percent|mode>`: moves a route's flag. Without UNLEASH_URL it
 * edits the local flag file the proxy's embedded flag source serves (the running proxy sees
 * it on its next poll, ≤ 1 s); with UNLEASH_URL it goes through the Unleash Admin API with
 * UNLEASH_ADMIN_TOKEN. The route id is looked up in the route table to find its flag name.
 */
export async function shiftRoute(
  routeId: string,
  target: string,
  env: Record<string, unknown> = {},
  reason: string | null = null,
): Promise<ShiftResult> {
  const config = loadProxyConfig(env);
  const table = await loadRouteTableFile(config.routesFile, config.captureMaxBytes);
  const route = table.routes.find((r) => r.id === routeId);
  if (!route) {
    throw new ProxyError(
      'PROXY_ERR_UNKNOWN_ROUTE',
      `no route "${routeId}" in ${config.routesFile}; routes: ${table.routes.map((r) => r.id).join(', ') || '(none)'}`,
      { status: 404 },
    );
  }
  const notShiftable = aggregateShiftError(route);
  if (notShiftable) throw notShiftable;
  let store: FlagStore;
  if (config.unleashUrl) {
    if (!config.unleashAdminToken) {
      throw new ProxyError(
        'PROXY_ERR_UNLEASH_ADMIN',
        'UNLEASH_URL is set: shifting needs UNLEASH_ADMIN_TOKEN (an admin or personal access token)',
      );
    }
    store = new UnleashAdminStore(
      config.unleashUrl,
      config.unleashAdminToken,
      config.unleashProject,
      config.unleashEnvironment,
    );
  } else store = new LocalFlagFile(config.flagsFile);
  const before = await store.get(route.flag);
  const after = applyShift(before, target);
  await store.set(route.flag, after);
  // The CLI acts as the local user; the proxy adds its own `flag.seen` once it serves the change.
  const audit = await AuditTrail.open(config.dataDir);
  await audit.append({
    actor: `cli:${os.userInfo().username}`,
    action: 'flag.shift',
    target: route.id,
    reason,
    before,
    after,
  });
  return { route: route.id, flag: route.flag, before, after, store: store.kind };
}

const describe = (s: FlagState) =>
  s.mode === 'canary' || s.mode === 'shadow' ? `${s.mode} ${s.percent}%` : s.mode;

export function shiftCommand(): Command {
  return new Command('shift')
    .description(
      'move a route between legacy and new: a percentage (canary) or a mode (legacy, shadow, canary, new)',
    )
    .argument('<route>', 'route id from the route table, e.g. products')
    .argument('<target>', 'a percentage 0-100 (e.g. 25) or a mode: legacy | shadow | canary | new')
    .option('--reason <text>', 'why, for the audit trail (strangler history)')
    .action(async (route: string, target: string, opts: { reason?: string }) => {
      try {
        const r = await shiftRoute(route, target, {}, opts.reason ?? null);
        console.log(`${r.route} (flag ${r.flag}, ${r.store}): ${describe(r.before)} → ${describe(r.after)}`);
      } catch (err) {
        console.error(err instanceof ProxyError ? `${err.code}: ${err.message}` : err);
        process.exitCode = 1;
      }
    });
}
