import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../lib/component-process.ts';
import { freePort, isListening, waitFor } from '../../lib/net.ts';
import { portOwner } from '../../lib/port-owner.ts';
import { isAlive } from '../../lib/process.ts';
import { type IsolatedEnv, isolatedSystemEnv } from './system-fixture.ts';

interface Up {
  /** Also the process group npm start runs in (a terminal's foreground group). */
  pid: number;
  output: () => string;
  exited: Promise<number | null>;
  signal: (s: NodeJS.Signals) => void;
}

function npmStart(env: NodeJS.ProcessEnv): Up {
  const tsx = path.join(repoRoot, 'node_modules/tsx/dist/cli.mjs');
  // detached: Ctrl-C goes to the whole process group, as in a terminal
  const child = spawn(process.execPath, [tsx, 'scripts/up.ts'], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout.on('data', (c) => {
    out += c;
  });
  child.stderr.on('data', (c) => {
    out += c;
  });
  return {
    pid: child.pid!,
    output: () => out,
    exited: new Promise((r) => child.on('exit', (code) => r(code))),
    signal: (s) => {
      // The group is gone once every process in it has exited (after the Ctrl-C test).
      try {
        process.kill(-child.pid!, s);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
    },
  };
}

const componentPorts = [
  'MONOLITH_PORT',
  'CATALOG_PORT',
  'ORDERS_PORT',
  'CONNECTOR_PORT',
  'BROKER_PORT',
  'PROXY_PORT',
  'WRITERS_PORT',
];

let env: NodeJS.ProcessEnv;

/** The process listening on the port named `portName` in the test's env. */
async function pidOn(portName: string): Promise<number> {
  const port = Number(env[portName]);
  const owner = await portOwner(port);
  const pid = /pid (\d+)/.exec(owner ?? '')?.[1];
  if (!pid)
    throw new Error(
      `no process found on ${portName} ${port} (${owner}; listening: ${await isListening(port)})`,
    );
  return Number(pid);
}

async function processGroupOf(pid: number): Promise<number> {
  const { stdout } = await promisify(execFile)('ps', ['-o', 'pgid=', '-p', String(pid)]);
  return Number(stdout.trim());
}

/** `npm start` (scripts/up.ts) as a real process: start, reuse, port clash, Ctrl-C. */
describe('npm start', () => {
  let isolated: IsolatedEnv;
  let dataDir: string;
  let first: Up;

  beforeAll(async () => {
    isolated = await isolatedSystemEnv('up', { STRANGLER_SEED_SCALE: '0.02' });
    ({ env, dataDir } = isolated);
    first = npmStart(env);
    await waitFor(
      'npm start to be up',
      async () => {
        if (!first.output().includes('strangler toolkit is up')) throw new Error(first.output().slice(-2000));
      },
      { timeoutMs: 180_000, intervalMs: 200 },
    );
  }, 200_000);
  afterAll(async () => {
    first?.signal('SIGINT');
    await first?.exited;
    await isolated?.cleanup();
  });

  it('prints where everything is, including the admin token, and serves the shop through the proxy', async () => {
    const out = first.output();
    expect(out).toContain(`legacy shop        http://127.0.0.1:${env.MONOLITH_PORT}/products`);
    expect(out).toContain(`strangler proxy    http://127.0.0.1:${env.PROXY_PORT}/products`);
    expect(out).toContain(`kafka broker       127.0.0.1:${env.BROKER_PORT}`);
    expect(out).toContain(`(bearer token in ${path.join(dataDir, 'proxy-admin.token')})`);
    expect(out).toMatch(/^\[proxy\] strangler-proxy ready on /m); // logs prefixed by component
    const res = await fetch(`http://127.0.0.1:${env.PROXY_PORT}/products?pageSize=1`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { total: number }).total).toBe(200);
    expect((await fs.stat(path.join(dataDir, 'proxy-admin.token'))).mode & 0o777).toBe(0o600);
  });

  it('runs the writer map behind a connector that hands on the statements: a write shows its route', async () => {
    expect(first.output()).toContain(`writer map         http://127.0.0.1:${env.WRITERS_PORT}/writers`);
    const created = await fetch(`http://127.0.0.1:${env.PROXY_PORT}/products`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sku: `UP-${Date.now()}`, name: 'Up', price: '1.00', category: 'up' }),
    });
    expect(created.status).toBe(201);
    await waitFor(
      'POST /products in the writer map',
      async () => {
        const res = await fetch(`http://127.0.0.1:${env.WRITERS_PORT}/writers?tables=products`);
        const map = (await res.json()) as { tables: Record<string, { writer: string; changes: number }[]> };
        const row = map.tables.products?.find((w) => w.writer === 'POST /products');
        if (row?.changes !== 1) throw new Error(JSON.stringify(map));
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
  }, 90_000);

  it('a second npm start reuses what is running', async () => {
    const second = npmStart(env);
    expect(await second.exited).toBe(0);
    const reused = second.output().match(/\(already running, reused\)/g) ?? [];
    expect(reused.length).toBeGreaterThanOrEqual(3);
    expect(second.output()).not.toMatch(/stopping /);
  }, 120_000);

  it('names the process holding a port it needs', async () => {
    const squatter = net.createServer((s) => s.destroy());
    const port = await freePort();
    await new Promise<void>((r) => squatter.listen(port, '127.0.0.1', r));
    try {
      const clash = npmStart({ ...env, MONOLITH_PORT: String(port) });
      expect(await clash.exited, clash.output()).toBe(1);
      expect(clash.output()).toContain(`port ${port} for monolith is held by pid ${process.pid} (`);
    } finally {
      squatter.close();
    }
  }, 120_000);

  it('Ctrl-C stops every component it started, in reverse start order, each on its own', async () => {
    // As a terminal does: SIGINT to the whole foreground process group at once. Components
    // that got it too would stop all together, the broker first, and a service would then
    // wait on the gone broker until the 10 s kill timeout.
    for (const name of componentPorts)
      expect(await processGroupOf(await pidOn(name)), name).not.toBe(first.pid);
    const since = Date.now();
    first.signal('SIGINT');
    expect(await first.exited, first.output()).toBe(0);
    const took = Date.now() - since;
    const out = first.output();
    const order = [
      'proxy',
      'writers',
      'orders',
      'catalog-reverse',
      'catalog-store-connector',
      'catalog',
      'connector',
      'monolith',
      'broker',
    ];
    expect([...out.matchAll(/^stopping ([\w-]+)…$/gm)].map((m) => m[1])).toEqual(order);
    for (const name of order)
      expect(out).toMatch(new RegExp(`^${name} stopped \\(exit 0, [\\d.]+ s\\)$`, 'm'));
    expect(out).not.toMatch(/killed \(SIGKILL\)/);
    expect(took, out.slice(-3000)).toBeLessThan(5000);
    for (const name of componentPorts) expect(await isListening(Number(env[name])), name).toBe(false);
  }, 60_000);

  it('components stop themselves when npm start is killed without stopping them (no orphans)', async () => {
    const killed = npmStart(env);
    await waitFor(
      'npm start to be up again',
      async () => {
        if (!killed.output().includes('strangler toolkit is up'))
          throw new Error(killed.output().slice(-2000));
      },
      { timeoutMs: 180_000, intervalMs: 200 },
    );
    const pids = await Promise.all(componentPorts.map(pidOn));
    try {
      killed.signal('SIGKILL'); // tsx and up.ts: no chance to stop anything
      await killed.exited;
      await waitFor(
        'every component to exit',
        async () => {
          const alive = pids.filter(isAlive);
          if (alive.length > 0) throw new Error(`still running: ${alive.join(', ')}`);
        },
        { timeoutMs: 8000, intervalMs: 100 },
      );
      for (const name of componentPorts) expect(await isListening(Number(env[name])), name).toBe(false);
    } finally {
      for (const pid of pids.filter(isAlive)) process.kill(pid, 'SIGKILL');
    }
  }, 200_000);
});
