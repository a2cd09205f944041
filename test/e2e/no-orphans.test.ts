import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot, startComponent } from '../../lib/component-process.ts';
import { waitFor } from '../../lib/net.ts';
import {
  killMarked,
  markedProcesses,
  markerName,
  newMarker,
  waitForNoneLeft,
} from '../support/toolkit-processes.ts';
import { type IsolatedEnv, isolatedSystemEnv } from './system-fixture.ts';

/**
 * No process outlives its supervisor, however early the supervisor dies, and a component
 * whose stdout nobody reads any more still stops on SIGTERM. Every process the tests start
 * carries a marker in its environment, so "nothing left" is checked on the whole process
 * table, and the cleanup kills whatever a failing test left.
 */
describe('no orphans', () => {
  let isolated: IsolatedEnv | undefined;
  let marker = '';

  afterEach(async () => {
    if (marker) await killMarked(marker);
    await isolated?.cleanup();
    isolated = undefined;
  });

  async function env(): Promise<NodeJS.ProcessEnv> {
    marker = newMarker();
    isolated = await isolatedSystemEnv('orphans');
    // No tsx cache: these processes are killed while tsx may still be writing cache entries,
    // and an entry cut short is an empty module for every later run (tsx writes them in place).
    return { ...isolated.env, [markerName]: marker, LOG_LEVEL: 'info' };
  }

  it('components stop themselves when their supervisor is SIGKILLed 50 ms into their start', async () => {
    const e = await env();
    const specs = [
      { name: 'broker', script: 'cdc/broker/main.ts', readyLine: '"msg":"broker listening"' },
      {
        name: 'catalog',
        script: 'extracted/catalog/main.ts',
        readyUrl: `http://127.0.0.1:${e.CATALOG_PORT}/health`,
      },
      {
        name: 'connector',
        script: 'cdc/connector/main.ts',
        readyUrl: `http://127.0.0.1:${e.CONNECTOR_PORT}/health`,
      },
    ];
    const tsx = path.join(repoRoot, 'node_modules/tsx/dist/cli.mjs');
    const supervisor: ChildProcess = spawn(
      process.execPath,
      [tsx, 'test/support/supervise-fixture.ts', JSON.stringify(specs)],
      {
        cwd: repoRoot,
        env: { ...e, KAFKA_BROKERS: `127.0.0.1:${e.BROKER_PORT}` },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      },
    );
    let out = '';
    supervisor.stdout!.on('data', (c) => (out += c));
    supervisor.stderr!.on('data', (c) => (out += c));
    await waitFor(
      'the components to be spawned',
      async () => {
        if (!out.includes('spawned')) throw new Error(out);
      },
      { timeoutMs: 60_000, intervalMs: 5 },
    );
    // Counted before the kill (once their supervisor is gone they may stop within
    // milliseconds): each has exec'd node with the preload, tsx still loading its code.
    let components = 0;
    await waitFor(
      'the three components to run',
      async () => {
        components = (await markedProcesses(marker)).filter((p) =>
          p.command.includes('exit-with-parent'),
        ).length;
        if (components < 3) throw new Error(`${components} running\n${out}`);
      },
      { timeoutMs: 10_000, intervalMs: 10 },
    );
    expect(components).toBe(3);
    const exited = once(supervisor, 'exit');
    process.kill(-supervisor.pid!, 'SIGKILL'); // tsx and the supervisor: no chance to stop anything
    await exited;
    const left = await waitForNoneLeft(marker, 5000);
    expect(left, out).toEqual([]);
  }, 120_000);

  it('a component whose graceful stop hangs is gone within 5 s of a SIGKILL to its supervisor', async () => {
    const e = await env();
    const specs = [
      { name: 'stubborn', script: 'test/support/stubborn-component.ts', readyLine: 'stubborn ready' },
    ];
    const tsx = path.join(repoRoot, 'node_modules/tsx/dist/cli.mjs');
    const supervisor: ChildProcess = spawn(
      process.execPath,
      [tsx, 'test/support/supervise-fixture.ts', JSON.stringify(specs)],
      { cwd: repoRoot, env: e, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    let out = '';
    supervisor.stdout!.on('data', (c) => (out += c));
    supervisor.stderr!.on('data', (c) => (out += c));
    await waitFor(
      'the component to be ready',
      async () => {
        if (!out.includes('\nready')) throw new Error(out);
      },
      { timeoutMs: 60_000, intervalMs: 10 },
    );
    const exited = once(supervisor, 'exit');
    process.kill(-supervisor.pid!, 'SIGKILL');
    await exited;
    // the component (and tsx's esbuild service, its child)
    const running = await markedProcesses(marker);
    expect(running.filter((p) => p.command.includes('stubborn-component')).length, out).toBe(1);
    const since = Date.now();
    const left = await waitForNoneLeft(marker, 5000);
    expect(left, out).toEqual([]);
    console.log(`a hanging stop ended ${Date.now() - since} ms after the supervisor's SIGKILL`);
  }, 90_000);

  it('a component whose stdout reader is gone still exits on SIGTERM within its grace period', async () => {
    const e = await env();
    const broker = await startComponent({
      name: 'broker',
      script: 'cdc/broker/main.ts',
      readyLine: '"msg":"broker listening"',
      env: e,
      readyTimeoutMs: 60_000,
    });
    // The reader of its stdout and stderr goes away, as when npm start is killed.
    broker.child.stdout!.destroy();
    broker.child.stderr!.destroy();
    // (its SIGTERM handler is installed just after the ready line; give it that moment)
    await new Promise((r) => setTimeout(r, 1000));
    const since = Date.now();
    broker.child.kill('SIGTERM');
    const code = await Promise.race([
      broker.exited,
      new Promise<string>((r) => setTimeout(() => r('still running after 20 s'), 20_000)),
    ]);
    const took = Date.now() - since;
    expect([code, broker.child.signalCode], broker.output()).toEqual([0, null]); // its own clean stop, not a timer
    expect(took).toBeLessThan(10_000);
  }, 90_000);
});
