import { ProxyError } from '../errors.ts';
import { type FlagState, stateOf, strategyFor, type UnleashFeature } from './flag-mapping.ts';
import type { FlagStore } from './flag-store.ts';

/**
 * Flag changes against a real Unleash (or Unleash behind Edge) through its Admin API with an
 * admin/personal token. UNLEASH_URL is the client API base (`https://unleash.example/api`);
 * the admin API sits beside it at `/api/admin`. Endpoints used (run against unleash-server 7.5 by
 * test/interop/unleash.test.ts):
 *   GET  /api/admin/projects/:project/features/:name
 *   POST /api/admin/projects/:project/features                       (create when missing)
 *   POST|PUT .../features/:name/environments/:env/strategies[/:id]   (flexibleRollout + variant)
 *   POST .../features/:name/environments/:env/on|off
 */
export class UnleashAdminStore implements FlagStore {
  readonly kind = 'unleash-admin' as const;
  readonly #base: string;

  constructor(
    unleashUrl: string,
    private readonly token: string,
    private readonly project: string,
    private readonly environment: string,
  ) {
    this.#base = unleashUrl.replace(/\/+$/, '').replace(/\/api$/, '');
  }

  async get(flag: string): Promise<FlagState> {
    const feature = await this.#feature(flag);
    if (!feature) return { mode: 'legacy', percent: 0 };
    const env = (feature.environments ?? []).find((e) => e.name === this.environment);
    return stateOf({ name: flag, enabled: env?.enabled ?? false, strategies: env?.strategies ?? [] });
  }

  async set(flag: string, state: FlagState): Promise<void> {
    let feature = await this.#feature(flag);
    const projectPath = `/api/admin/projects/${enc(this.project)}`;
    if (!feature) {
      await this.#call('POST', `${projectPath}/features`, {
        name: flag,
        type: 'release',
        description: 'strangler-proxy route flag',
      });
      feature = { name: flag, environments: [] };
    }
    const envPath = `${projectPath}/features/${enc(flag)}/environments/${enc(this.environment)}`;
    const env = (feature.environments ?? []).find((e) => e.name === this.environment);
    const existing = env?.strategies?.find((s) => s.name === 'flexibleRollout');
    const strategy = strategyFor(flag, state);
    // Pollers may read between two calls: to legacy, switch off before the strategy changes (a
    // shift from new would otherwise read as canary 100 % for a poll); to any other mode, the
    // strategy is in place before the flag goes on.
    if (state.mode === 'legacy') await this.#call('POST', `${envPath}/off`);
    if (existing?.id) await this.#call('PUT', `${envPath}/strategies/${enc(existing.id)}`, strategy);
    else await this.#call('POST', `${envPath}/strategies`, strategy);
    if (state.mode !== 'legacy') await this.#call('POST', `${envPath}/on`);
  }

  /**
   * One read the admin token must be allowed (the project's feature list), so a wrong
   * UNLEASH_ADMIN_TOKEN shows at start rather than at the first shift. Throws
   * PROXY_ERR_UNLEASH_TOKEN when Unleash refuses it.
   */
  async check(): Promise<void> {
    const path = `/api/admin/projects/${enc(this.project)}/features`;
    const res = await this.#request('GET', path);
    await this.#check(res, 'GET', path);
    await res.body?.cancel();
  }

  async #feature(flag: string) {
    const res = await this.#request('GET', `/api/admin/projects/${enc(this.project)}/features/${enc(flag)}`);
    if (res.status === 404) return undefined;
    await this.#check(res, 'GET', flag);
    return (await res.json()) as {
      name: string;
      environments?: { name: string; enabled: boolean; strategies: UnleashFeature['strategies'] }[];
    };
  }

  async #call(method: string, path: string, body?: unknown): Promise<void> {
    const res = await this.#request(method, path, body);
    await this.#check(res, method, path);
    await res.body?.cancel();
  }

  #request(method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(this.#base + path, {
      method,
      headers: { authorization: this.token, 'content-type': 'application/json', accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    }).catch((cause) => {
      throw new ProxyError(
        'PROXY_ERR_UNLEASH_ADMIN',
        `cannot reach Unleash at ${this.#base}: ${(cause as Error).message}`,
        {
          cause,
          retriable: true,
          status: 502,
        },
      );
    });
  }

  async #check(res: Response, method: string, what: string): Promise<void> {
    if (res.ok) return;
    const text = (await res.text()).slice(0, 300);
    if (res.status === 401 || res.status === 403)
      throw new ProxyError(
        'PROXY_ERR_UNLEASH_TOKEN',
        `Unleash at ${this.#base} refused UNLEASH_ADMIN_TOKEN (${method} ${what} answered ${res.status}: ${text}): it needs an admin token or a personal access token allowed to edit project "${this.project}"`,
        { status: 502, retriable: false },
      );
    throw new ProxyError(
      'PROXY_ERR_UNLEASH_ADMIN',
      `Unleash Admin API ${method} ${what} answered ${res.status}: ${text}`,
      { status: 502, retriable: res.status >= 500 },
    );
  }
}

const enc = encodeURIComponent;
