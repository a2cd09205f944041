import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startComponent } from '../../lib/component-process.ts';
import { createLogger } from '../../lib/log.ts';
import { freePort, waitFor } from '../../lib/net.ts';
import { isAlive } from '../../lib/process.ts';
import {
  ensureUnleashServer,
  findPostgres,
  startUnleash,
  type UnleashServer,
  unleashVersion,
} from '../../scripts/interop/unleash.ts';
import { shiftRoute } from '../../strangler-proxy/cli/shift.ts';
import { ProxyError } from '../../strangler-proxy/errors.ts';
import { rolloutBucket } from '../../strangler-proxy/flags/stickiness.ts';
import { checkUnleashAccess } from '../../strangler-proxy/flags/unleash-access.ts';
import { type ProxyRig, startProxyRig } from '../../strangler-proxy/testing/harness.ts';
import { strangler } from '../compare/support.ts';
import { runCli } from '../e2e/system-fixture.ts';

/**
 * The real Unleash (unleash-server from npm, on the machine's PostgreSQL) as the proxy's flag
 * source: a proxy with two workers polls it with a client token, flags are changed through
 * Unleash's own Admin API and through `strangler shift`, and every worker follows within 2 s.
 * Wrong tokens end the proxy's start and the shift with PROXY_ERR_UNLEASH_TOKEN, at once.
 */

const flag = 'strangler.products';
let unleash: UnleashServer;
let rig: ProxyRig;
let clients: Client[];

/** The environment a proxy or the CLI gets to use the real Unleash. */
const unleashEnv = (over: Record<string, string> = {}) => ({
  UNLEASH_URL: unleash.apiUrl,
  UNLEASH_API_TOKEN: unleash.clientToken,
  UNLEASH_ADMIN_TOKEN: unleash.adminToken,
  ...over,
});

/** Unleash's Admin API itself, with its admin token: what a person or a pipeline would call. */
async function admin(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${unleash.origin}/api/admin${path}`, {
    method,
    headers: { authorization: unleash.adminToken, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`Unleash Admin API ${method} ${path} answered ${res.status}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

interface AdminFeature {
  environments: {
    name: string;
    enabled: boolean;
    strategies: {
      id: string;
      name: string;
      parameters: Record<string, string>;
      variants: { name: string }[];
    }[];
  }[];
}
const featurePath = `/projects/default/features/${flag}`;
const development = async () =>
  ((await admin('GET', featurePath)) as AdminFeature).environments.find((e) => e.name === 'development')!;

async function sideOf(client: Client, path: string, user = 'u1'): Promise<string> {
  const res = await client.request({ method: 'GET', path, headers: { 'x-user-id': user } });
  await res.body.text();
  expect(res.statusCode).toBe(200);
  return res.headers['x-strangler-target'] as string;
}

/** Resolves once every client connection (both workers) sees `side`; returns the ms it took. */
async function untilAllServedBy(
  side: string,
  { user = 'u1', path = '/products/1', timeoutMs = 5000 } = {},
): Promise<number> {
  const started = Date.now();
  await waitFor(
    `${path} served by ${side} on every connection`,
    async () => {
      const sides = await Promise.all(clients.map((c) => sideOf(c, path, user)));
      if (sides.some((s) => s !== side)) throw new Error(`sides: ${sides.join(', ')}`);
    },
    { timeoutMs, intervalMs: 20 },
  );
  return Date.now() - started;
}

beforeAll(async () => {
  const install = await ensureUnleashServer();
  unleash = await startUnleash({ install });
  console.log(
    `unleash-server ${unleashVersion}: ${install.installed ? `installed by npm ci in ${install.installMs} ms` : 'install current'}; ready in ${unleash.startupMs} ms (database ${unleash.database})`,
  );
  rig = await startProxyRig({
    routes: ({ legacy, next }) => ({
      legacy: legacy.url,
      routes: [{ id: 'products', methods: ['GET'], paths: ['/products/:id'], new: next.url }],
    }),
    // Unleash itself looks for changed flags once a second (its updateMaxRevisionId job) before
    // its client API serves them: with a 500 ms poll a change is served within ~1.5 s.
    env: { ...unleashEnv(), PROXY_WORKERS: '2', UNLEASH_REFRESH_MS: '500' },
    // a primary and two workers, each loading the TypeScript afresh on a shared machine
    readyTimeoutMs: 90_000,
  });
  // four connections: the primary hands them to the two workers in turn
  clients = Array.from({ length: 4 }, () => new Client(rig.proxy.url, { pipelining: 0 }));
});

afterAll(async () => {
  await Promise.allSettled(clients?.map((c) => c.close()) ?? []);
  await rig?.stop();
  await unleash?.stop();
});

describe(`a real Unleash (unleash-server ${unleashVersion} on PostgreSQL) as the flag source`, () => {
  it("a flag changed through Unleash's own Admin API reaches every worker within 2 s", async () => {
    // no flag in Unleash yet: every route serves legacy
    await untilAllServedBy('legacy');
    await admin('POST', '/projects/default/features', { name: flag, type: 'release' });
    const env = `${featurePath}/environments/development`;
    await admin('POST', `${env}/strategies`, {
      name: 'flexibleRollout',
      parameters: { rollout: '100', stickiness: 'default', groupId: flag },
      variants: [{ name: 'new', weight: 1000, weightType: 'variable', stickiness: 'default' }],
      constraints: [],
    });
    const took: number[] = [];
    for (const [call, side] of [
      ['on', 'new'],
      ['off', 'legacy'],
      ['on', 'new'],
    ] as const) {
      await admin('POST', `${env}/${call}`);
      took.push(await untilAllServedBy(side));
    }
    console.log(`Admin API change → every worker: ${took.join(', ')} ms`);
    for (const ms of took) expect(ms).toBeLessThan(2000);
  });

  it('strangler shift moves the flag in Unleash, and every worker follows within 2 s', async () => {
    /**
     * `strangler shift` as its own process. From the line it prints once Unleash took the change,
     * times how long until every connection (both workers) serves `side` to `user` on `path`.
     */
    const shift = async (to: string, side: string, probe: { user?: string; path?: string } = {}) => {
      let landed: Promise<number> | undefined;
      const run = await runCli(
        ['shift', 'products', to],
        { ...process.env, ...unleashEnv(), PROXY_ROUTES_FILE: rig.proxy.routesFile },
        (line) => {
          if (landed || !line.includes('(flag strangler.products, unleash-admin)')) return;
          landed = untilAllServedBy(side, probe);
          landed.catch(() => undefined); // awaited below, once the CLI has exited
        },
      );
      expect(run.stderr, run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(landed, run.stdout).toBeDefined();
      return landed!;
    };
    // each user lands where flexibleRollout's bucket puts them, on every worker
    const users = Array.from({ length: 24 }, (_, i) => `user-${i}`);
    const expected = users.map((u) => (rolloutBucket(u, flag) <= 25 ? 'new' : 'legacy'));
    expect(expected).toContain('new');
    expect(expected).toContain('legacy');

    const legacyMs = await shift('legacy', 'legacy');
    let env = await development();
    expect(env.enabled).toBe(false);

    // A flag definition lands in a worker all at once: the first user the bucket sends to new
    // times the change on every connection, then every user is checked on every connection.
    const timed = users[expected.indexOf('new')]!;
    const canaryMs = await shift('25', 'new', { user: timed, path: '/products/2' });
    const sides = await Promise.all(
      clients.map(async (c) => {
        const seen: string[] = [];
        for (const u of users) seen.push(await sideOf(c, '/products/2', u));
        return seen;
      }),
    );
    for (const seen of sides) expect(seen).toEqual(expected);
    env = await development();
    expect(env.enabled).toBe(true);
    expect(env.strategies).toHaveLength(1);
    expect(env.strategies[0]).toMatchObject({
      name: 'flexibleRollout',
      parameters: { rollout: '25', stickiness: 'default', groupId: flag },
      variants: [{ name: 'canary' }],
    });

    const newMs = await shift('new', 'new');
    expect((await development()).strategies[0]?.parameters.rollout).toBe('100');

    const backMs = await shift('legacy', 'legacy');
    env = await development();
    expect(env.enabled).toBe(false);
    console.log(`strangler shift → every worker: canary ${canaryMs}, new ${newMs}, legacy ${backMs} ms`);
    for (const ms of [legacyMs, canaryMs, newMs, backMs]) expect(ms).toBeLessThan(2000);
    // the shifts edited the one strategy in place rather than piling up new ones
    expect(env.strategies).toHaveLength(1);

    // the proxy's admin API reads the stored state back through the Admin API too
    const flags = (await (await rig.proxy.admin('/flags')).json()) as {
      flags: { route: string; stored: { mode: string } }[];
    };
    expect(flags.flags.find((f) => f.route === 'products')?.stored.mode).toBe('legacy');
  });

  it('a wrong client or admin token stops the proxy at start with PROXY_ERR_UNLEASH_TOKEN', async () => {
    for (const [name, over, says] of [
      ['UNLEASH_API_TOKEN', { UNLEASH_API_TOKEN: 'default:development.wrong' }, 'refused UNLEASH_API_TOKEN'],
      ['UNLEASH_ADMIN_TOKEN', { UNLEASH_ADMIN_TOKEN: '*:*.wrong' }, 'refused UNLEASH_ADMIN_TOKEN'],
      [
        'UNLEASH_API_TOKEN of production',
        { UNLEASH_API_TOKEN: unleash.productionClientToken },
        'UNLEASH_API_TOKEN is a token of environment "production" but UNLEASH_ENVIRONMENT is "development"',
      ],
    ] as const) {
      const started = Date.now();
      const failed = await startComponent({
        name: 'proxy',
        script: 'strangler-proxy/main.ts',
        env: {
          ...unleashEnv(over),
          PROXY_PORT: String(await freePort()),
          PROXY_ADMIN_PORT: String(await freePort()),
          PROXY_ROUTES_FILE: rig.proxy.routesFile,
          STRANGLER_DATA_DIR: rig.proxy.dir,
          PROXY_ADMIN_TOKEN: 'test-admin-token-0123456789',
          PROXY_WORKERS: '2',
          LOG_LEVEL: 'warn',
        },
        readyLine: 'strangler-proxy ready',
        readyTimeoutMs: 90_000,
      }).then(
        async (p) => {
          await p.stop();
          return undefined;
        },
        (err: Error) => err,
      );
      expect(failed, `the proxy started with a wrong ${name}`).toBeInstanceOf(Error);
      expect(failed!.message).toContain('exited with code 2');
      expect(failed!.message).toContain('PROXY_ERR_UNLEASH_TOKEN: ');
      expect(failed!.message).toContain(says);
      // it ended by itself: no poll loop on a token that cannot work
      console.log(`proxy with a wrong ${name}: exit 2 after ${Date.now() - started} ms (tsx start included)`);
    }
    // the check itself is one request per token, no retries
    for (const over of [
      { unleashApiToken: 'default:development.wrong' },
      { unleashAdminToken: '*:*.wrong' },
      { unleashApiToken: unleash.productionClientToken },
    ]) {
      const started = Date.now();
      const refused = await checkUnleashAccess(
        {
          unleashUrl: unleash.apiUrl,
          unleashApiToken: unleash.clientToken,
          unleashAdminToken: unleash.adminToken,
          unleashProject: 'default',
          unleashEnvironment: 'development',
          ...over,
        },
        createLogger('unleash-test'),
      ).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(ProxyError);
      expect((refused as ProxyError).code).toBe('PROXY_ERR_UNLEASH_TOKEN');
      expect(Date.now() - started).toBeLessThan(2000);
    }
    // the running proxy is unaffected
    expect(await sideOf(clients[0]!, '/products/3')).toBe('legacy');
  });

  it('a wrong admin token fails strangler shift at once with PROXY_ERR_UNLEASH_TOKEN', async () => {
    const r = await strangler(['shift', 'products', 'new'], {
      ...unleashEnv({ UNLEASH_ADMIN_TOKEN: '*:*.wrong' }),
      PROXY_ROUTES_FILE: rig.proxy.routesFile,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('PROXY_ERR_UNLEASH_TOKEN');
    expect(r.stderr).toContain('refused UNLEASH_ADMIN_TOKEN');
    expect(r.stderr).toContain('401');
    // in this process, timed: one refused request ends it, no retries
    const started = Date.now();
    const refused = await shiftRoute('products', 'new', {
      unleashUrl: unleash.apiUrl,
      unleashAdminToken: '*:*.wrong',
      routesFile: rig.proxy.routesFile,
    }).catch((err: unknown) => err);
    expect((refused as ProxyError).code).toBe('PROXY_ERR_UNLEASH_TOKEN');
    expect(Date.now() - started).toBeLessThan(2000);
    // nothing moved
    expect((await development()).enabled).toBe(false);
  });

  it('stopping Unleash leaves no process and no database behind', async () => {
    const pg = await findPostgres();
    const pid = unleash.pid;
    await rig.stop();
    await unleash.stop();
    expect(isAlive(pid)).toBe(false);
    expect(await pg.sql(`SELECT count(*) FROM pg_database WHERE datname = '${unleash.database}'`)).toBe('0');
  });
});
