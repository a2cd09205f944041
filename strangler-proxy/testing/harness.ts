import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type ComponentProcess, startComponent } from '../../lib/component-process.ts';
import { freePort } from '../../lib/net.ts';
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
  setFlag(flag: string, state: FlagState): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function startProxy(options: {
  routes: RouteTableInput;
  flags?: Record<string, FlagState>;
  env?: Record<string, string>;
  token?: string | null;
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
  const proc = await startComponent({
    name: 'proxy',
    script: 'strangler-proxy/main.ts',
    env: {
      PROXY_PORT: String(port),
      PROXY_ADMIN_PORT: String(adminPort),
      PROXY_ROUTES_FILE: routesFile,
      STRANGLER_DATA_DIR: dir,
      PROXY_ADMIN_TOKEN: configured,
      UNLEASH_URL: undefined,
      LOG_LEVEL: 'warn',
      ...options.env,
    },
    readyLine: 'strangler-proxy ready',
  });
  const token = configured ?? (await fs.readFile(path.join(dir, 'proxy-admin.token'), 'utf8')).trim();
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    adminUrl,
    token,
    dir,
    routesFile,
    flagsFile,
    proc,
    admin: (pathname, init = {}) =>
      fetch(adminUrl + pathname, {
        ...init,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          ...(init.headers ?? {}),
        },
      }),
    async setFlag(flag, state) {
      flags[flag] = state;
      await writeFlags(flags);
    },
    async stop(signal = 'SIGTERM') {
      await proc.stop(signal);
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
