import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../lib/component-process.ts';
import { freePort, isListening, waitFor } from '../../lib/net.ts';
import { type IsolatedEnv, isolatedSystemEnv } from './system-fixture.ts';

interface Up {
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

/** `npm start` (scripts/up.ts) as a real process: start, reuse, port clash, Ctrl-C. */
describe('npm start', () => {
  let isolated: IsolatedEnv;
  let env: NodeJS.ProcessEnv;
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

  it('Ctrl-C stops every component it started', async () => {
    first.signal('SIGINT');
    expect(await first.exited).toBe(0);
    for (const name of ['MONOLITH_PORT', 'BROKER_PORT', 'PROXY_PORT'])
      expect(await isListening(Number(env[name]))).toBe(false);
  }, 60_000);
});
