import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type ComponentProcess, startComponent } from '../../lib/component-process.ts';
import { freePort } from '../../lib/net.ts';

export interface TestBroker {
  /** For `new Kafka({ brokers })`. */
  brokers: string[];
  port: number;
  dataDir: string;
  process: ComponentProcess;
  /** SIGTERM (graceful), then removes the data dir unless `keepData`. */
  stop(options?: { keepData?: boolean }): Promise<void>;
  /** SIGKILL: a crash; the data dir is kept for a restart. */
  kill(): Promise<void>;
  /** Starts a new broker process on the same port and data dir (after stop/kill). */
  restart(): Promise<TestBroker>;
}

/**
 * Starts `cdc/broker` as a separate process on a free port with a temporary data dir, for
 * tests of any component that talks Kafka. Extra env (BROKER_*) can be passed.
 */
export async function startTestBroker(
  options: { env?: Record<string, string>; dataDir?: string; port?: number } = {},
): Promise<TestBroker> {
  const port = options.port ?? (await freePort());
  const dataDir = options.dataDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'broker-test-')));
  const proc = await startComponent({
    name: `broker:${port}`,
    script: 'cdc/broker/main.ts',
    env: {
      LOG_LEVEL: 'info',
      BROKER_PORT: String(port),
      BROKER_HOST: '127.0.0.1',
      BROKER_DATA_DIR: dataDir,
      ...options.env,
    },
    readyLine: '"msg":"broker listening"',
  });
  const handle: TestBroker = {
    brokers: [`127.0.0.1:${port}`],
    port,
    dataDir,
    process: proc,
    async stop({ keepData = false } = {}) {
      await proc.stop('SIGTERM');
      if (!keepData) await fs.rm(dataDir, { recursive: true, force: true });
    },
    async kill() {
      // tsx runs the broker as a child of its CLI and cannot relay SIGKILL: kill the broker itself.
      const pid = Number(/"pid":(\d+)/.exec(proc.output())?.[1]);
      if (pid) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await proc.stop('SIGKILL');
    },
    async restart() {
      await proc.stop('SIGTERM');
      return startTestBroker({ ...options, dataDir, port });
    },
  };
  return handle;
}
