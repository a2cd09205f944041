import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../lib/component-process.ts';
import { waitUntil } from '../../lib/net.ts';
import { isAlive } from '../../lib/process.ts';
import { findJava, findMaven } from '../../scripts/interop/java.ts';
import { startKafka } from '../../scripts/interop/kafka.ts';

/** Every JVM whose command line names `needle` (ours carry their data folder in it). */
async function javaProcessesNaming(needle: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await fs.readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes('ParentWatch') && cmdline.includes(needle)) pids.push(Number(entry));
  }
  return pids;
}

describe('the real parts start, stop and leave nothing behind', () => {
  it('a SIGKILLed parent takes its Kafka JVM with it (the stdin pipe ends)', async () => {
    const parent = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(repoRoot, 'test/interop/fixtures/kafka-parent.ts')],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    parent.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    parent.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
    await waitUntil('the fixture to start Kafka', () => out.includes('"pid"') || parent.exitCode !== null, {
      timeoutMs: 120_000,
      intervalMs: 100,
    });
    const { pid, dir } = JSON.parse(out.split('\n').find((l) => l.startsWith('{"pid"')) ?? 'null') as {
      pid: number;
      dir: string;
    };
    expect(isAlive(pid)).toBe(true);
    expect(await javaProcessesNaming(dir)).toEqual([pid]);

    parent.kill('SIGKILL');
    await once(parent, 'exit');
    const killedAt = Date.now();
    // Shutdown hooks first (Kafka's controlled shutdown), then the halt timer bounds them at 15 s.
    await waitUntil('the orphaned Kafka JVM to stop', () => !isAlive(pid), {
      timeoutMs: 20_000,
      intervalMs: 100,
    });
    console.log(`orphaned Kafka JVM stopped ${Date.now() - killedAt} ms after its parent was SIGKILLed`);
    expect(await javaProcessesNaming(dir)).toEqual([]);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('stop(): SIGTERM, controlled shutdown, nothing left running', async () => {
    const kafka = await startKafka({ nodes: 1 });
    const pid = kafka.nodes[0]!.process!.pid;
    const started = Date.now();
    const exit = await kafka.nodes[0]!.process!.stop();
    console.log(`Kafka stopped in ${Date.now() - started} ms on SIGTERM (${JSON.stringify(exit)})`);
    // Kafka's shutdown hook ends the JVM with status 143 (128 + SIGTERM) or 0; SIGKILL would be a hang.
    expect(exit.signal).not.toBe('SIGKILL');
    expect(isAlive(pid)).toBe(false);
    await kafka.stop();
    expect(await javaProcessesNaming(kafka.dir)).toEqual([]);
  });

  it('a missing Java or Maven is an error that names it, not a skip', async () => {
    await expect(findJava({ PATH: '', JAVA_HOME: '/nonexistent-jdk' })).rejects.toThrow(
      /Java 17\+ is needed to run Apache Kafka and Debezium, and none was found at \/nonexistent-jdk\/bin\/java/,
    );
    await expect(findJava({ PATH: '/nonexistent' })).rejects.toThrow(/none was found on PATH/);
    await expect(findMaven({ PATH: '/nonexistent' })).rejects.toThrow(/Maven \(mvn\) is needed/);
  });
});
