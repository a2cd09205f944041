import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type ComponentProcess, startComponent } from '../../lib/component-process.ts';
import { freePort, waitFor } from '../../lib/net.ts';
import { type FlagState, featureFor } from '../flags/flag-mapping.ts';
import type { RouteTableInput } from '../routes/route-schema.ts';

/** Real processes for the proxy's tests: test upstreams and a proxy with its own data dir. */
export interface TestUpstream {
  name: string;
  port: number;
  url: string;
  proc: ComponentProcess;
  control(settings: { status?: number; delayMs?: number }): Promise<void>;
  requests(): Promise<{ method: string; url: string; headers: Record<string, string> }[]>;
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Crashes the server process itself (tsx's wrapper would survive a SIGKILL's target being the wrapper). */
  kill(): Promise<void>;
}

export async function startUpstream(name: string, port?: number): Promise<TestUpstream> {
  const p = port ?? (await freePort());
  const proc = await startComponent({
    name,
    script: 'strangler-proxy/testing/test-upstream.ts',
    args: [String(p), name],
    readyLine: 'ready on',
  });
  const url = `http://127.0.0.1:${p}`;
  return {
    name,
    port: p,
    url,
    proc,
    async control(settings) {
      const res = await fetch(`${url}/__control`, { method: 'POST', body: JSON.stringify(settings) });
      await res.text();
    },
    async requests() {
      return (await (await fetch(`${url}/__requests`)).json()) as never;
    },
    async stop(signal = 'SIGTERM') {
      await proc.stop(signal);
    },
    async kill() {
      await fetch(`${url}/__die`).catch(() => {});
      await proc.exited;
    },
  };
}

export interface TestProxy {
  url: string;
  port: number;
  adminUrl: string;
  token: string;
  dir: string;
  routesFile: string;
  flagsFile: string;
  proc: ComponentProcess;
  admin(pathname: string, init?: RequestInit): Promise<Response>;
  /** Moves a route through the admin API (`to`: a percentage or a mode) and returns what it stored. */
  shift(route: string, to: string): Promise<FlagState & { route: string }>;
  setFlag(flag: string, state: FlagState): Promise<void>;
  /** Stops the process and starts it again on the same ports, data folder and files. */
  restart(signal?: NodeJS.Signals): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * The two front ends of the same request path, for suites that run against both: the standalone
 * proxy (strangler-proxy/main.ts) and the Express middleware mounted in the example gateway
 * (examples/gateway/gateway.ts). Both read the same settings, serve the same admin API and
 * print their ready line when they serve.
 */
export type FrontEnd = 'proxy' | 'middleware';
export const frontEnds: readonly FrontEnd[] = ['proxy', 'middleware'];
const frontEndProcess: Record<FrontEnd, { script: string; readyLine: string }> = {
  proxy: { script: 'strangler-proxy/main.ts', readyLine: 'strangler-proxy ready' },
  middleware: { script: 'examples/gateway/gateway.ts', readyLine: 'strangler-gateway ready' },
};

export async function startProxy(options: {
  routes: RouteTableInput;
  flags?: Record<string, FlagState>;
  env?: Record<string, string>;
  token?: string | null;
  /** How long the proxy may take to print its ready line (default 90 s). */
  readyTimeoutMs?: number;
  /** Default: the standalone proxy. */
  frontEnd?: FrontEnd;
}): Promise<TestProxy> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'proxy-test-'));
  const routesFile = path.join(dir, 'routes.json');
  const flagsFile = path.join(dir, 'flags.json');
  await fs.writeFile(routesFile, JSON.stringify(options.routes, null, 2));
  const writeFlags = async (flags: Record<string, FlagState>) => {
    const features = Object.entries(flags).map(([name, state]) => featureFor(name, state));
    const tmp = `${flagsFile}.tmp`;
    await fs.writeFile(tmp, JSON.stringify({ version: 2, features }));
    await fs.rename(tmp, flagsFile);
  };
  const flags = { ...(options.flags ?? {}) };
  await writeFlags(flags);
  const [port, adminPort] = [await freePort(), await freePort()];
  const configured = options.token === null ? undefined : (options.token ?? 'test-admin-token-0123456789');
  // a proxy that refuses to start (a test of bad config) leaves no temp dir behind
  const frontEnd = frontEndProcess[options.frontEnd ?? 'proxy'];
  const launch = () =>
    startComponent({
      name: options.frontEnd ?? 'proxy',
      script: frontEnd.script,
      env: {
        PROXY_PORT: String(port),
        PROXY_ADMIN_PORT: String(adminPort),
        PROXY_ROUTES_FILE: routesFile,
        STRANGLER_DATA_DIR: dir,
        PROXY_ADMIN_TOKEN: configured,
        PROXY_FLAGS_FILE: flagsFile,
        UNLEASH_URL: undefined,
        LOG_LEVEL: 'warn',
        ...options.env,
      },
      readyLine: frontEnd.readyLine,
      // tsx compiles every module at start (the tests run it without its cache): on a loaded
      // two-core host a proxy with workers took 27-40 s to print its line, the same before and
      // after the control plane moved out of main.ts
      readyTimeoutMs: options.readyTimeoutMs ?? 90_000,
    });
  let proc = await launch().catch(async (err: unknown) => {
    await fs.rm(dir, { recursive: true, force: true });
    throw err;
  });
  const token = configured ?? (await fs.readFile(path.join(dir, 'proxy-admin.token'), 'utf8')).trim();
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const admin = (pathname: string, init: RequestInit = {}) =>
    fetch(adminUrl + pathname, {
      ...init,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        ...(init.headers ?? {}),
      },
    });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    adminUrl,
    token,
    dir,
    routesFile,
    flagsFile,
    get proc() {
      return proc;
    },
    admin,
    async shift(route, to) {
      const res = await admin(`/flags/${encodeURIComponent(route)}`, {
        method: 'POST',
        body: JSON.stringify({ to }),
      });
      const text = await res.text();
      if (res.status !== 200)
        throw new Error(`shift ${route} → ${to}: admin API answered ${res.status}: ${text}`);
      return JSON.parse(text);
    },
    async setFlag(flag, state) {
      flags[flag] = state;
      await writeFlags(flags);
    },
    async restart(signal: NodeJS.Signals = 'SIGTERM') {
      await proc.stop(signal);
      proc = await launch();
    },
    async stop(signal = 'SIGTERM') {
      await proc.stop(signal);
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

export interface ProxyRig {
  legacy: TestUpstream;
  /** The new service's upstream. */
  next: TestUpstream;
  proxy: TestProxy;
  /** Stops the proxy and both upstreams, whatever state each is in. */
  stop(): Promise<void>;
}

/**
 * The usual proxy test setup: a legacy and a new upstream process, and a proxy in front of
 * them whose route table is built from their URLs. Whatever started is stopped again when a
 * later start fails, so a failed setup leaves no process behind.
 */
export async function startProxyRig(
  options: Omit<Parameters<typeof startProxy>[0], 'routes'> & {
    routes: (upstreams: { legacy: TestUpstream; next: TestUpstream }) => RouteTableInput;
  },
): Promise<ProxyRig> {
  const { legacy, next } = await startUpstreams();
  const stopAll = async (proxy?: TestProxy) => {
    await Promise.allSettled([proxy?.stop(), legacy.stop(), next.stop()]);
  };
  let proxy: TestProxy;
  try {
    proxy = await startProxy({ ...options, routes: options.routes({ legacy, next }) });
  } catch (err) {
    await stopAll();
    throw err;
  }
  return { legacy, next, proxy, stop: () => stopAll(proxy) };
}

/** A legacy and a new upstream process; if one fails to start, the other is stopped again. */
export async function startUpstreams(): Promise<{ legacy: TestUpstream; next: TestUpstream }> {
  const started = await Promise.allSettled([startUpstream('legacy'), startUpstream('new')]);
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.allSettled(started.map((s) => (s.status === 'fulfilled' ? s.value.stop() : undefined)));
    throw failed.reason;
  }
  const [legacy, next] = started.map((s) => (s as PromiseFulfilledResult<TestUpstream>).value);
  return { legacy: legacy!, next: next! };
}

/**
 * Polls `baseUrl + path` until the side named by the target header is `side` (a flag change
 * reaching the proxy); returns how long that took.
 */
export async function untilServedBy(
  baseUrl: string,
  side: string,
  path: string,
  { headers = {}, timeoutMs = 5000 }: { headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<number> {
  const started = Date.now();
  await waitFor(
    `${path} served by ${side}`,
    async () => {
      const res = await fetch(baseUrl + path, { headers });
      await res.text();
      const target = res.headers.get('x-strangler-target');
      if (target !== side) throw new Error(`still served by ${target}`);
    },
    { timeoutMs, intervalMs: 20 },
  );
  return Date.now() - started;
}
