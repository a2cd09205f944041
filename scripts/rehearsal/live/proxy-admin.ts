import fs from 'node:fs/promises';
import { ToolkitError } from '../../../lib/errors.ts';
import type { AuditEntry } from '../../../strangler-proxy/audit/audit-trail.ts';
import { type FlagState, stateOf, type UnleashFeature } from '../../../strangler-proxy/flags/flag-mapping.ts';
import { fetchText } from '../../cli/fetch-text.ts';
import { type RouteFile, type RouteSpec, routesOf } from './route-paths.ts';

export class AdminApiError extends ToolkitError {}

export interface FlagView {
  route: string;
  flag: string;
  stored: FlagState;
  /** What the proxy's unleash-client currently evaluates; null before its first poll. */
  seenByProxy: FlagState | null;
}

/** Reads the admin bearer token: PROXY_ADMIN_TOKEN, else the file the proxy generated. */
export async function readAdminToken(tokenFile: string, fromEnv?: string): Promise<string> {
  if (fromEnv) return fromEnv;
  try {
    return (await fs.readFile(tokenFile, 'utf8')).trim();
  } catch (err) {
    throw new AdminApiError(
      'REHEARSE_ERR_NO_ADMIN_TOKEN',
      `cannot read the proxy admin token from ${tokenFile} (${(err as NodeJS.ErrnoException).code}); start the proxy once (npm start) or set PROXY_ADMIN_TOKEN`,
      { cause: err },
    );
  }
}

/** The proxy's admin API as the CLI uses it: flags, shifts, the route table, metrics. */
export class ProxyAdmin {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: { status: number; text: string };
    try {
      res = await fetchText(`${this.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch (err) {
      throw new AdminApiError(
        'REHEARSE_ERR_ADMIN_UNREACHABLE',
        `the proxy admin API at ${this.baseUrl} did not answer (${(err as Error).message}); is the proxy running (npm start)?`,
        {
          retriable: true,
          cause: err,
        },
      );
    }
    const text = res.text;
    if (res.status < 200 || res.status > 299) {
      let message = text.slice(0, 300);
      try {
        message = JSON.parse(text).error?.message ?? message;
      } catch {
        // not JSON: keep the text
      }
      const hint =
        res.status === 401 ? ' (wrong admin token: the proxy reads PROXY_ADMIN_TOKEN or its token file)' : '';
      throw new AdminApiError(
        'REHEARSE_ERR_ADMIN_REFUSED',
        `${method} ${path} on the proxy admin API answered ${res.status}: ${message}${hint}`,
      );
    }
    return (path === '/metrics' ? text : JSON.parse(text)) as T;
  }

  async flags(): Promise<FlagView[]> {
    const r = await this.call<{
      flags: { route: string; flag: string; stored: FlagState; seenByProxy: UnleashFeature | null }[];
    }>('GET', '/flags');
    return r.flags.map((f) => ({
      route: f.route,
      flag: f.flag,
      stored: f.stored,
      seenByProxy: f.seenByProxy ? stateOf(f.seenByProxy) : null,
    }));
  }

  /** The route table the running proxy uses (it may differ from the repository's file). */
  async routeTable(): Promise<RouteSpec[]> {
    const r = await this.call<{ table: RouteFile }>('GET', '/routes');
    return routesOf(r.table);
  }

  /** The audit trail, oldest first: the newest `limit` entries, optionally about one route. */
  async audit(route?: string, limit?: number): Promise<AuditEntry[]> {
    const q = new URLSearchParams();
    if (route) q.set('route', route);
    if (limit) q.set('limit', String(limit));
    return (await this.call<{ entries: AuditEntry[] }>('GET', `/audit?${q}`)).entries;
  }

  metrics(): Promise<string> {
    return this.call('GET', '/metrics');
  }

  /**
   * Moves a route's flag and waits until the proxy itself evaluates the new state (its
   * unleash-client polls about once a second), so measured traffic never straddles the change.
   */
  async shift(route: string, to: string, timeoutMs = 15_000, reason?: string): Promise<FlagState> {
    const target = await this.call<FlagState>('POST', `/flags/${encodeURIComponent(route)}`, { to, reason });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = (await this.flags()).find((f) => f.route === route)?.seenByProxy;
      const same =
        seen && seen.mode === target.mode && (target.mode === 'legacy' || seen.percent === target.percent);
      if (same || (target.mode === 'legacy' && seen === null)) return target;
      if (Date.now() > deadline) {
        throw new AdminApiError(
          'REHEARSE_ERR_SHIFT_NOT_SEEN',
          `the proxy did not pick up ${route} → ${to} within ${timeoutMs} ms (it sees ${JSON.stringify(seen)})`,
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
