import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../lib/component-process.ts';
import { isListening, waitFor } from '../../lib/net.ts';
import { portOwner } from '../../lib/port-owner.ts';
import type { SystemStatus } from '../../scripts/cli/status-probe.ts';
import {
  killMarked,
  markedProcesses,
  markerName,
  newMarker,
  waitForNoneLeft,
} from '../support/toolkit-processes.ts';
import { type IsolatedEnv, isolatedSystemEnv, runCli } from './system-fixture.ts';

/**
 * `npm start` as a user runs it (`npm start`: npm, sh, tsx, up.ts) under the faults an
 * operator meets: interrupted at any moment of its start-up, its npm process killed, a
 * component killed while it serves, a component left on a port by an npm start that is gone.
 * Every process carries a marker in its environment: "nothing left" is checked on the whole
 * process table, and each test's cleanup kills what a failure left.
 */
interface NpmStart {
  child: ChildProcess;
  output: () => string;
  exited: Promise<unknown>;
}

const markers: string[] = [];

function npmStart(env: NodeJS.ProcessEnv): NpmStart {
  const marker = newMarker();
  markers.push(marker);
  // detached: npm leads its own process group, as a shell's job control makes it
  const child = spawn('npm', ['start'], {
    cwd: repoRoot,
    // As a user runs it: the test processes' own TSX_DISABLE_CACHE (vitest.config.ts) removed,
    // and a temp folder of its own, where tsx would put its cache.
    env: { ...env, [markerName]: marker, TSX_DISABLE_CACHE: undefined, TMPDIR: tmpDir },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  return { child, output: () => out, exited: once(child, 'exit') };
}

function signalGroup(n: NpmStart, signal: NodeJS.Signals): void {
  try {
    process.kill(-n.child.pid!, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/**
 * Waits for `text` in npm start's output; fails at once, with the output, when npm start exits
 * first (a wait on a process that is gone would only run out its timeout).
 */
async function outputIncludes(n: NpmStart, text: string, what: string, timeoutMs: number): Promise<void> {
  let settled = false;
  const exitedFirst = n.exited.then(() => {
    if (!settled)
      throw new Error(
        `npm start exited (${n.child.exitCode ?? n.child.signalCode}) before ${what}:\n${n.output().slice(-3000)}`,
      );
  });
  try {
    await Promise.race([
      waitFor(
        what,
        async () => {
          if (!n.output().includes(text)) throw new Error(n.output().slice(-3000));
        },
        { timeoutMs, intervalMs: 20 },
      ),
      exitedFirst,
    ]);
  } finally {
    settled = true;
  }
}

const up = (n: NpmStart) => outputIncludes(n, 'strangler toolkit is up', 'npm start to be up', 240_000);

let isolated: IsolatedEnv;
let env: NodeJS.ProcessEnv;
let tmpDir: string;

/**
 * Files tsx cached under the runs' temp folder. tsx writes a cache entry in place, so one cut
 * short by a kill loads as an empty module in every later run: npm start then exits at once
 * and prints nothing. npm start and its components run without the cache, so there are none.
 */
function tsxCacheFiles(): string[] {
  return fs
    .readdirSync(tmpDir)
    .filter((name) => name.startsWith('tsx-'))
    .flatMap((name) =>
      fs
        .readdirSync(path.join(tmpDir, name), { recursive: true, withFileTypes: true })
        // regular files only: the tsx CLI's relay sockets (`<pid>.pipe`) live there too
        .filter((entry) => entry.isFile())
        .map((entry) => path.join(entry.parentPath, entry.name)),
    );
}

beforeAll(async () => {
  isolated = await isolatedSystemEnv('sup', { STRANGLER_SEED_SCALE: '0.02' });
  env = isolated.env;
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sup-tmp-'));
});
afterEach(async () => {
  for (const m of markers.splice(0)) await killMarked(m);
});
afterAll(async () => {
  for (const m of markers.splice(0)) await killMarked(m);
  await isolated?.cleanup();
  if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
});

describe('npm start leaves nothing behind', () => {
  it('SIGTERM then SIGKILL to its process group at 1, 2, 3, 4 and 5 s into start-up', async () => {
    // From npm's start (npm, tsx, the database check, the seed) and again from the moment the
    // broker is up (the monolith, connector, services and proxy starting one after another).
    const report: string[] = [];
    for (const from of ['start', 'broker up'] as const) {
      for (const seconds of [1, 2, 3, 4, 5]) {
        const run = npmStart(env);
        const marker = markers.at(-1)!;
        if (from === 'broker up') await outputIncludes(run, '[broker] ', 'the broker', 120_000);
        await new Promise((r) => setTimeout(r, seconds * 1000));
        const seen = await markedProcesses(marker);
        signalGroup(run, 'SIGTERM');
        await new Promise((r) => setTimeout(r, 300));
        signalGroup(run, 'SIGKILL');
        const since = Date.now();
        const left = await waitForNoneLeft(marker, 5000);
        const components = seen.filter((p) => p.command.includes('exit-with-parent')).length;
        report.push(
          `${seconds} s after ${from}: ${seen.length} processes (${components} components), none left after ${Date.now() - since} ms`,
        );
        expect(left, `${seconds} s after ${from}:\n${run.output().slice(-3000)}`).toEqual([]);
        for (const name of ['BROKER_PORT', 'MONOLITH_PORT', 'CATALOG_PORT', 'PROXY_PORT'])
          expect(await isListening(Number(env[name])), name).toBe(false);
      }
    }
    console.log(report.join('\n'));
    // Ten kills in the middle of start-up left nothing a later start could load as code.
    expect(tsxCacheFiles()).toEqual([]);
  }, 400_000);

  it('Ctrl-C during start-up stops what was launched, in reverse order', async () => {
    const run = npmStart(env);
    const marker = markers.at(-1)!;
    await waitFor(
      'the monolith to be up',
      async () => {
        if (!(await isListening(Number(env.MONOLITH_PORT)))) throw new Error(run.output().slice(-2000));
      },
      { timeoutMs: 120_000, intervalMs: 20 },
    );
    signalGroup(run, 'SIGINT'); // a terminal's Ctrl-C: the whole foreground group
    await run.exited;
    const out = run.output();
    // "stopped X, which was still starting" for the one caught mid-start, then "stopping Y…" for each earlier one
    const stopped = [
      ...out.matchAll(/^(?:stopping ([\w-]+)…|stopped ([\w-]+), which was still starting)$/gm),
    ].map((m) => m[1] ?? m[2]);
    expect(stopped.length, out.slice(-3000)).toBeGreaterThanOrEqual(2);
    expect(stopped.at(-1)).toBe('broker');
    expect(stopped.at(-2)).toBe('monolith');
    expect(await waitForNoneLeft(marker, 5000)).toEqual([]);
  }, 200_000);

  it('SIGKILL of the npm process alone stops the whole toolkit', async () => {
    const run = npmStart(env);
    const marker = markers.at(-1)!;
    await up(run);
    const before = await markedProcesses(marker);
    expect(before.length).toBeGreaterThanOrEqual(8); // npm, sh, tsx, up.ts and six components
    process.kill(run.child.pid!, 'SIGKILL'); // npm only: sh, tsx and up.ts get no signal
    const since = Date.now();
    const left = await waitForNoneLeft(marker, 15_000);
    expect(left, run.output().slice(-3000)).toEqual([]);
    console.log(`npm killed: ${before.length} processes gone in ${Date.now() - since} ms`);
  }, 300_000);
});

describe('npm start keeps legacy traffic up when a component fails', () => {
  let run: NpmStart;
  let marker: string;

  beforeAll(async () => {
    run = npmStart({ ...env, LOG_LEVEL: 'info' });
    // this suite's own: not killed after each test, only after the last (afterAll below)
    marker = markers.pop()!;
    await up(run);
  }, 300_000);
  afterAll(async () => {
    signalGroup(run, 'SIGINT');
    await run.exited;
    await waitForNoneLeft(marker, 15_000);
    await killMarked(marker);
  }, 60_000);

  /** GETs through the proxy on legacy routes, and straight to the shop, until stopped. */
  function legacyLoad() {
    let ok = 0;
    const failures: string[] = [];
    let on = true;
    const urls = [
      `http://127.0.0.1:${env.PROXY_PORT}/products/1`,
      `http://127.0.0.1:${env.PROXY_PORT}/products?pageSize=5`,
      `http://127.0.0.1:${env.PROXY_PORT}/orders/1`,
      `http://127.0.0.1:${env.MONOLITH_PORT}/products/2`,
    ];
    const loop = (async () => {
      for (let i = 0; on; i++) {
        const url = urls[i % urls.length]!;
        try {
          const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
          await res.arrayBuffer();
          if (res.status === 200) ok++;
          else failures.push(`${url} → ${res.status}`);
        } catch (err) {
          failures.push(`${url} → ${(err as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    return {
      async stop() {
        on = false;
        await loop;
        return { ok, failures };
      },
    };
  }

  async function status(): Promise<SystemStatus> {
    const r = await runCli(['status', '--json'], env);
    return JSON.parse(r.stdout) as SystemStatus;
  }

  async function pidOn(port: number): Promise<number> {
    return Number(/pid (\d+)/.exec((await portOwner(port)) ?? '')?.[1]);
  }

  it('restarts a killed broker, connector and service while the proxy and the shop answer every request', async () => {
    const load = legacyLoad();
    const victims = [
      ['broker', 'BROKER_PORT'],
      ['connector', 'CONNECTOR_PORT'],
      ['catalog', 'CATALOG_PORT'],
    ] as const;
    const before = new Map<string, number>();
    for (const [name, port] of victims) before.set(name, await pidOn(Number(env[port])));
    for (const [name] of victims) process.kill(before.get(name)!, 'SIGKILL');
    for (const [name, port] of victims)
      await waitFor(
        `${name} to be back`,
        async () => {
          const pid = await pidOn(Number(env[port]));
          if (!pid || pid === before.get(name)) throw new Error(run.output().slice(-2000));
        },
        { timeoutMs: 120_000, intervalMs: 200 },
      );
    await waitFor(
      'status to show everything up',
      async () => {
        const s = await status();
        if (s.problems.length > 0) throw new Error(s.problems.join('; '));
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const { ok, failures } = await load.stop();
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(50);
    for (const [name] of victims) {
      expect(run.output()).toMatch(
        new RegExp(`^${name} killed by SIGKILL; restarting in 1 s \\(attempt 1\\)`, 'm'),
      );
      expect(run.output()).toMatch(new RegExp(`^${name} is back \\(restart 1\\)$`, 'm'));
    }
    expect(run.output()).not.toMatch(/^stopping /m);
    console.log(`legacy requests during the episode: ${ok} answered, ${failures.length} failed`);
  }, 240_000);

  it('backs off a component that keeps failing right after start, saying why', async () => {
    // The broker's port taken by someone else: every restart fails at once.
    const port = Number(env.BROKER_PORT);
    const pid = await waitFor(
      'the broker',
      async () => {
        const p = await pidOn(port);
        if (!p)
          throw new Error(
            `not listening (${await portOwner(port)}, ${await isListening(port)}):\n${run.output().slice(-1000)}`,
          );
        return p;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    process.kill(pid, 'SIGKILL');
    await waitFor('the port to be free', async () => {
      if (await isListening(port)) throw new Error('still listening');
    });
    const squatter = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => squatter.listen(port, '127.0.0.1', r));
    try {
      await waitFor(
        'attempt 3',
        async () => {
          if (!/^broker .*restarting in 4 s \(attempt 3\)/m.test(run.output())) throw new Error('not yet');
        },
        { timeoutMs: 90_000, intervalMs: 200 },
      );
      const s = await status();
      const broker = s.components.find((c) => c.name === 'broker')!;
      // status probes every component (a few seconds under load): attempt 4 may be due by then
      expect(broker.detail).toMatch(
        /^restarting \(attempt (3, (next in [0-4] s|starting now)|4, (next in [0-8] s|starting now))\): broker exited with code 1 before it was ready: broker failed to start: /,
      );
      expect(broker.detail).toMatch(/EADDRINUSE|address already in use/i);
      const delays = [...run.output().matchAll(/^broker .*restarting in (\d+) s \(attempt (\d+)\)/gm)].map(
        (m) => `${m[2]}:${m[1]}`,
      );
      // this episode's backoff from its first attempt (an earlier test's restarts come before it)
      const episode = delays.slice(delays.lastIndexOf('1:1'));
      expect(episode.slice(0, 3)).toEqual(['1:1', '2:2', '3:4']);
    } finally {
      await new Promise((r) => squatter.close(r));
    }
    await waitFor(
      'the broker to be back',
      async () => {
        if (!(await isListening(port))) throw new Error('not yet');
        if (
          !/^broker is back/m.test(
            run
              .output()
              .split(/attempt 3/)
              .at(-1)!,
          )
        )
          throw new Error('not yet');
      },
      { timeoutMs: 90_000, intervalMs: 200 },
    );
  }, 200_000);
});

describe('a half-dead toolkit', () => {
  it('a second npm start refuses a component left on a port by an npm start that is gone, naming it', async () => {
    // A monolith as a component that outlived its npm start leaves it: started under a
    // supervisor pid that no longer exists (our own short-lived child's).
    const gone = spawn(process.execPath, ['-e', '0']);
    await once(gone, 'exit');
    const marker = newMarker();
    markers.push(marker);
    const stray = spawn(process.execPath, ['--import', 'tsx', 'legacy-monolith/main.ts'], {
      cwd: repoRoot,
      env: { ...env, [markerName]: marker, STRANGLER_SUPERVISOR_PID: String(gone.pid) },
      stdio: 'ignore',
    });
    await waitFor(
      'the stray monolith',
      async () => {
        const res = await fetch(`http://127.0.0.1:${env.MONOLITH_PORT}/health`);
        if (res.status !== 200) throw new Error(String(res.status));
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    const second = npmStart(env);
    const [code] = (await second.exited) as [number];
    const out = second.output();
    expect(code, out).not.toBe(0);
    expect(out).toContain(
      `port ${env.MONOLITH_PORT} for monolith is held by pid ${stray.pid} (node), a monolith left behind by an npm start (pid ${gone.pid}) that is gone`,
    );
    expect(out).toContain(`kill ${stray.pid}`);
    expect(out).not.toMatch(/already running, reused/);
    // it started nothing of its own, and stopped the broker it had started before
    expect(await waitForNoneLeft(markers.at(-1)!, 15_000)).toEqual([]);
    stray.kill('SIGKILL');
  }, 200_000);
});
