import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { dataRoot } from '../../lib/database/data-root.ts';
import { freePort, waitFor } from '../../lib/net.ts';
import { ensureInteropJars, type InteropJars } from './jars.ts';
import { type JvmProcess, jvmFlags, startJvm, whileAlive, writeLog4jConfig } from './jvm.ts';

export interface ConnectorSpec {
  name: string;
  config: Record<string, string>;
}

export interface ConnectWorker {
  /** The REST API, `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly dir: string;
  readonly process: JvmProcess;
  /** From spawning the JVM to every connector and task RUNNING. */
  readonly startupMs: number;
  /** Connect's own status document of a connector (`GET /connectors/<name>/status`). */
  status(name: string): Promise<ConnectorStatus>;
  /**
   * Rejects with Connect's trace once the connector or a task is FAILED (a connector can fail
   * after it ran: a snapshot that breaks); race it with a wait for the connector's output.
   */
  failure(name: string): Promise<never>;
  stop(options?: { keepData?: boolean }): Promise<void>;
}

export interface ConnectorStatus {
  name: string;
  connector: { state: string; worker_id: string; trace?: string };
  tasks: Array<{ id: number; state: string; worker_id: string; trace?: string }>;
}

export interface ConnectOptions {
  brokers: readonly string[];
  connectors: ConnectorSpec[];
  jars?: InteropJars;
  dir?: string;
  /** Worker properties beside the defaults (converters, flush interval…). */
  worker?: Record<string, string>;
  heapMb?: number;
  fullJit?: boolean;
  readyTimeoutMs?: number;
}

const properties = (props: Record<string, string>) =>
  `${Object.entries(props)
    .map(([k, v]) => `${k}=${v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`)
    .join('\n')}\n`;

/**
 * Kafka Connect in standalone mode (ConnectStandalone) with the given connectors, offsets in a
 * file under its folder, the REST API on a free port of 127.0.0.1. Ready when Connect itself
 * reports every connector and its tasks RUNNING; a FAILED one fails the start with Connect's
 * trace.
 */
export async function startConnect(options: ConnectOptions): Promise<ConnectWorker> {
  const jars = options.jars ?? (await ensureInteropJars());
  const dir =
    options.dir ??
    path.join(dataRoot(), 'interop', 'connect', `${Date.now()}-${randomBytes(3).toString('hex')}`);
  await fs.mkdir(dir, { recursive: true });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const worker: Record<string, string> = {
    'bootstrap.servers': options.brokers.join(','),
    'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'key.converter.schemas.enable': 'true',
    'value.converter.schemas.enable': 'true',
    'offset.storage.file.filename': path.join(dir, 'offsets.dat'),
    'offset.flush.interval.ms': '1000',
    listeners: url,
    'plugin.path': jars.plugins,
    // Find plugins through their ServiceLoader manifests instead of scanning every class of
    // every jar, which costs seconds at each start.
    'plugin.discovery': 'service_load',
    ...options.worker,
  };
  const workerFile = path.join(dir, 'worker.properties');
  await fs.writeFile(workerFile, properties(worker));
  const connectorFiles: string[] = [];
  for (const c of options.connectors) {
    const file = path.join(dir, `${c.name}.properties`);
    await fs.writeFile(file, properties({ name: c.name, ...c.config }));
    connectorFiles.push(file);
  }
  const log4jFlag = await writeLog4jConfig(dir, { debezium: 'io.debezium' });

  const started = Date.now();
  const jvm = startJvm({
    name: 'kafka-connect',
    jars,
    classpath: [jars.connect],
    mainClass: 'org.apache.kafka.connect.cli.ConnectStandalone',
    args: [workerFile, ...connectorFiles],
    jvmArgs: [...jvmFlags({ heapMb: options.heapMb ?? 384, fast: !options.fullJit }), log4jFlag],
    cwd: dir,
    logFile: path.join(dir, 'connect.log'),
  });

  const status = async (name: string): Promise<ConnectorStatus> => {
    const res = await fetch(`${url}/connectors/${encodeURIComponent(name)}/status`);
    if (!res.ok) throw new Error(`Connect answered ${res.status} for ${name}: ${await res.text()}`);
    return (await res.json()) as ConnectorStatus;
  };

  try {
    const failure = await whileAlive(
      jvm,
      'its connectors ran',
      waitFor(
        `Kafka Connect to run ${options.connectors.map((c) => c.name).join(', ')}`,
        async () => {
          for (const c of options.connectors) {
            const s = await status(c.name);
            // A failure is final: stop waiting and say why, in Connect's words.
            const failed = [s.connector, ...s.tasks].find((x) => x.state === 'FAILED');
            if (failed) return `connector ${c.name} FAILED:\n${failed.trace ?? ''}`;
            if (
              s.connector.state !== 'RUNNING' ||
              s.tasks.length === 0 ||
              s.tasks.some((t) => t.state !== 'RUNNING')
            )
              throw new Error(
                `${c.name}: connector ${s.connector.state}, tasks ${s.tasks.map((t) => t.state).join(',') || 'none'}`,
              );
          }
          return undefined;
        },
        { timeoutMs: options.readyTimeoutMs ?? 90_000, intervalMs: 200 },
      ),
    );
    if (failure) throw new Error(failure);
  } catch (err) {
    await jvm.stop(5000);
    throw new Error(`${(err as Error).message}\n--- Kafka Connect output ---\n${jvm.output().slice(-4000)}`);
  }
  const startupMs = Date.now() - started;
  let stopped = false;
  return {
    url,
    dir,
    process: jvm,
    startupMs,
    status,
    async failure(name) {
      for (;;) {
        await new Promise((r) => setTimeout(r, 500));
        if (stopped) return new Promise<never>(() => {});
        const s = await status(name).catch(() => undefined);
        const failed = s && [s.connector, ...s.tasks].find((x) => x.state === 'FAILED');
        if (failed) throw new Error(`connector ${name} FAILED:\n${failed.trace ?? ''}`);
      }
    },
    async stop({ keepData = false } = {}) {
      stopped = true;
      await jvm.stop();
      if (!keepData) await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
