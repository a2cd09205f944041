import { isListening } from '../../lib/net.ts';
import { ProxyAdmin, readAdminToken } from '../rehearsal/live/proxy-admin.ts';
import { compareCounts, proxyMetrics } from '../rehearsal/live/proxy-counters.ts';
import type { Endpoints } from '../up/endpoints.ts';
import { describeSupervision, readSupervisorState } from '../up/supervisor-state.ts';
import { fetchJson } from './fetch-text.ts';
import { parsePrometheus, type Sample, sumOf } from './prometheus-text.ts';

export interface ComponentStatus {
  name: string;
  where: string;
  up: boolean;
  /** Projection or connector lag in ms, when the component reports one. */
  lagMs?: number;
  detail: string;
  /**
   * A component's own alarm: the `alarm` field of its health/status JSON (a string, or an
   * object with a `message`), set while it stays up but needs an operator.
   */
  alarm?: string;
  /** Set by a running npm start: the component is being restarted (attempt, next start, cause). */
  restarting?: string;
  /** Restarts npm start made so far, and the cause of the last one. */
  restarts?: number;
  lastCause?: string;
}

export interface RouteStatus {
  route: string;
  flag: string;
  mode: string;
  percent: number;
  /** False while the proxy has not yet picked up the stored flag. */
  applied: boolean;
  requests: number;
  compared: number;
  mismatches: number;
  fallbacks: number;
}

export interface SystemStatus {
  components: ComponentStatus[];
  routes: RouteStatus[];
  problems: string[];
}

async function getJson(url: string): Promise<{ status: number; body: unknown } | undefined> {
  try {
    return await fetchJson(url, 3000);
  } catch {
    return undefined;
  }
}

/** Finds a lag figure in a health/status document: any numeric key naming lag (ms), one level deep. */
export function lagOf(body: unknown): number | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const lags: number[] = [];
  const visit = (o: Record<string, unknown>, depth: number) => {
    for (const [k, v] of Object.entries(o)) {
      if (typeof v === 'number' && /lag/i.test(k) && /ms|millis/i.test(k)) lags.push(v);
      else if (v && typeof v === 'object' && depth < 2) visit(v as Record<string, unknown>, depth + 1);
    }
  };
  visit(body as Record<string, unknown>, 0);
  return lags.length > 0 ? Math.max(...lags) : undefined;
}

/** A health document's alarm: `alarm` as a string, or an object's `message` (or its JSON). */
export function alarmOf(body: unknown): string | undefined {
  if (!body || typeof body !== 'object' || !('alarm' in body)) return undefined;
  const alarm = (body as { alarm: unknown }).alarm;
  if (alarm === null || alarm === undefined || alarm === false || alarm === '') return undefined;
  if (typeof alarm === 'string') return alarm;
  if (typeof alarm === 'object' && 'message' in alarm) return String((alarm as { message: unknown }).message);
  return JSON.stringify(alarm);
}

async function httpComponent(name: string, base: string, path: string): Promise<ComponentStatus> {
  const r = await getJson(`${base}${path}`);
  if (!r) return { name, where: base, up: false, detail: 'not answering' };
  const lag = lagOf(r.body);
  const ok = r.status >= 200 && r.status < 300;
  // Services answer {status}; the connector answers {state} (snapshot, streaming, failed).
  const body = (typeof r.body === 'object' && r.body ? r.body : {}) as { status?: unknown; state?: unknown };
  const status =
    body.status !== undefined
      ? String(body.status)
      : body.state !== undefined
        ? String(body.state)
        : `HTTP ${r.status}`;
  const alarm = alarmOf(r.body);
  return {
    name,
    where: base,
    up: ok,
    ...(lag !== undefined ? { lagMs: lag } : {}),
    detail: alarm ? `${status}; ALARM: ${alarm}` : status,
    ...(alarm ? { alarm } : {}),
  };
}

export async function collectStatus(e: Endpoints): Promise<SystemStatus> {
  const problems: string[] = [];
  const brokerHost = e.brokers.split(',')[0]!;
  const [host, port] = [brokerHost.split(':')[0]!, Number(brokerHost.split(':')[1] ?? 9092)];
  const [legacy, connector, catalog, orders, writers, proxy, admin, brokerUp, supervision] =
    await Promise.all([
      httpComponent('monolith', e.legacy, '/health'),
      e.externalConnector ? undefined : httpComponent('connector', e.connector, '/status'),
      httpComponent('catalog', e.catalog, '/health'),
      httpComponent('orders', e.orders, '/health'),
      httpComponent('writers', e.writers, '/health'),
      httpComponent('proxy', e.proxy, '/health'),
      httpComponent('proxy admin', e.admin, '/health'),
      isListening(port, host),
      readSupervisorState(e.supervisorStateFile),
    ]);
  const broker: ComponentStatus = {
    name: 'broker',
    where: brokerHost,
    up: brokerUp,
    detail: brokerUp ? 'listening' : 'not listening',
  };
  // An external connector (a real Debezium) is Kafka Connect's to report: not listed as down here.
  const components = [
    broker,
    legacy,
    ...(connector ? [connector] : []),
    catalog,
    orders,
    writers,
    proxy,
    admin,
  ];
  let routes: RouteStatus[] = [];
  if (admin.up) {
    try {
      const client = new ProxyAdmin(e.admin, await readAdminToken(e.adminTokenFile, e.adminToken));
      const [flags, metrics] = await Promise.all([client.flags(), client.metrics()]);
      const samples: Sample[] = parsePrometheus(metrics);
      routes = flags.map((f) => {
        const { compared, mismatches } = compareCounts(samples, f.route);
        return {
          route: f.route,
          flag: f.flag,
          mode: f.stored.mode,
          percent: f.stored.mode === 'legacy' ? 0 : f.stored.percent,
          applied: f.seenByProxy === null ? f.stored.mode === 'legacy' : f.seenByProxy.mode === f.stored.mode,
          requests: sumOf(samples, proxyMetrics.requests, { route: f.route }),
          compared,
          mismatches,
          fallbacks: sumOf(samples, proxyMetrics.fallbacks, { route: f.route }),
        };
      });
    } catch (err) {
      problems.push((err as Error).message);
    }
  } else problems.push(`the proxy admin API at ${e.admin} is down: route modes unknown`);
  for (const s of supervision?.components ?? []) {
    const c = components.find((x) => x.name === s.name);
    if (!c) continue;
    if (s.restarts > 0) c.restarts = s.restarts;
    if (s.cause) c.lastCause = s.cause;
    if (c.up && s.state === 'running' && s.restarts > 0)
      c.detail += ` (restarted ${s.restarts}×, last: ${s.cause ?? 'exited'})`;
    const restarting = describeSupervision(s);
    if (restarting) {
      // The supervisor knows more than the probe: its process is gone (whatever holds the port
      // now is not it) and a restart is on its way; say so, and why.
      c.restarting = restarting;
      c.up = false;
      c.detail = restarting;
    }
  }
  // Nothing answers and no supervisor is restarting anything: the toolkit is not started (or
  // was started with other addresses). One line that says what to do, not one per component.
  if (components.every((c) => !c.up && !c.restarting))
    return {
      components,
      routes,
      problems: [
        'nothing is running at these addresses: start the toolkit with npm start (in another terminal)',
      ],
    };
  for (const c of components) {
    if (c.restarting) problems.push(`${c.name} (${c.where}) is ${c.restarting}`);
    else if (!c.up) problems.push(`${c.name} (${c.where}) is down`);
    if (c.alarm) problems.push(`${c.name} (${c.where}) ALARM: ${c.alarm}`);
  }
  return { components, routes, problems };
}
