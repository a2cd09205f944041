import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { dataRoot } from '../../lib/database/data-root.ts';
import { freePort, waitFor } from '../../lib/net.ts';
import type { TestPki } from './certs.ts';
import { ensureInteropJars, type InteropJars } from './jars.ts';
import { type JvmProcess, jvmFlags, runJvm, startJvm, whileAlive, writeLog4jConfig } from './jvm.ts';

export interface KafkaNode {
  readonly id: number;
  /** The client listener, `127.0.0.1:<port>`. */
  readonly address: string;
  readonly port: number;
  readonly controllerPort: number;
  readonly dir: string;
  /** The running JVM, undefined while stopped. */
  readonly process: JvmProcess | undefined;
  /** SIGTERM: Kafka's controlled shutdown (leadership moves first). */
  stop(): Promise<void>;
  /** SIGKILL: a crash; the log stays for a restart. */
  kill(): Promise<void>;
  /** Starts the node again on the same ports and log (after stop or kill). */
  start(): Promise<void>;
}

export interface KafkaCluster {
  /** Bootstrap list for clients. */
  readonly brokers: string[];
  readonly nodes: KafkaNode[];
  readonly clusterId: string;
  readonly dir: string;
  /** From the first JVM spawned to every broker in metadata, storage format included. */
  readonly startupMs: { format: number; ready: number };
  /** Bootstrap lists of the secured listeners, when started with `security`. */
  readonly secured: Readonly<Record<SecuredListener, string[]>> | undefined;
  /** Resolves once `count` brokers are in the cluster's metadata. */
  waitForBrokers(count: number, timeoutMs?: number): Promise<void>;
  /** Stops every node (SIGTERM, SIGKILL after the bound) and removes the data unless asked. */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

export interface KafkaOptions {
  /** 1: one combined broker+controller; 3: three combined nodes, RF 3, min.insync.replicas 2. */
  nodes?: 1 | 3;
  jars?: InteropJars;
  /** Default: a fresh folder under `<data>/interop/kafka/`. */
  dir?: string;
  /** Extra server.properties (every node). */
  properties?: Record<string, string>;
  heapMb?: number;
  /** Full JIT (benches); C1 only by default, which starts faster. */
  fullJit?: boolean;
  readyTimeoutMs?: number;
  /**
   * Adds SSL, SASL_SSL and SASL_PLAINTEXT listeners beside PLAINTEXT (which stays for the
   * brokers' own traffic and the readiness probe): TLS with the broker certificate of `pki`
   * (PEM keystore), SASL with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512. PLAIN users live in the
   * listeners' JAAS config, SCRAM credentials are written by `kafka-storage format --add-scram`.
   */
  security?: { pki: TestPki; users: ReadonlyArray<KafkaUser> };
}

export type SecuredListener = 'SSL' | 'SASL_SSL' | 'SASL_PLAINTEXT';
const securedListeners: readonly SecuredListener[] = ['SSL', 'SASL_SSL', 'SASL_PLAINTEXT'];
export interface KafkaUser {
  mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
  username: string;
  password: string;
}

/** server.properties for the secured listeners of one node (ports in `securedListeners` order). */
function securityProperties(security: NonNullable<KafkaOptions['security']>): Record<string, string> {
  const plainUsers = security.users
    .filter((u) => u.mechanism === 'PLAIN')
    .map((u) => ` user_${u.username}="${u.password}"`)
    .join('');
  const props: Record<string, string> = {
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': security.pki.brokerKeystoreFile,
    'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
  };
  for (const listener of ['sasl_ssl', 'sasl_plaintext']) {
    props[`listener.name.${listener}.plain.sasl.jaas.config`] =
      `org.apache.kafka.common.security.plain.PlainLoginModule required${plainUsers};`;
    for (const scram of ['scram-sha-256', 'scram-sha-512'])
      props[`listener.name.${listener}.${scram}.sasl.jaas.config`] =
        'org.apache.kafka.common.security.scram.ScramLoginModule required;';
  }
  return props;
}

/**
 * Two ports per node, all different: the kernel may hand the same free port to two asks once the
 * first probe socket closed.
 */
async function distinctPorts(
  count: number,
  extra = 0,
): Promise<Array<{ port: number; controllerPort: number; extra: number[] }>> {
  const taken = new Set<number>();
  const next = async (): Promise<number> => {
    for (;;) {
      const p = await freePort();
      if (!taken.has(p)) {
        taken.add(p);
        return p;
      }
    }
  };
  const out: Array<{ port: number; controllerPort: number; extra: number[] }> = [];
  for (let i = 0; i < count; i++) {
    const p = { port: await next(), controllerPort: await next(), extra: [] as number[] };
    for (let e = 0; e < extra; e++) p.extra.push(await next());
    out.push(p);
  }
  return out;
}

/**
 * Kafka's cluster ids are 16 random bytes in URL-safe base64 without padding (its Uuid). Like
 * Kafka's own Uuid.randomUuid, never one that starts with "-": the storage tool would read it as
 * an option and fail the start ("argument --cluster-id: expected one argument").
 */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/**
 * Starts a real Apache Kafka (KRaft, no ZooKeeper) on free ports of 127.0.0.1: each node a
 * combined broker and controller in its own JVM, its log formatted by Kafka's own storage tool.
 * Ready when every broker is in the metadata a kafkajs admin reads.
 */
export async function startKafka(options: KafkaOptions = {}): Promise<KafkaCluster> {
  const count = options.nodes ?? 1;
  const jars = options.jars ?? (await ensureInteropJars());
  const dir =
    options.dir ??
    path.join(dataRoot(), 'interop', 'kafka', `${count}n-${Date.now()}-${randomBytes(3).toString('hex')}`);
  await fs.mkdir(dir, { recursive: true });
  const log4jFlag = await writeLog4jConfig(dir, { raft: 'kafka.server.KafkaRaftServer' });
  const security = options.security;
  const ports = await distinctPorts(count, security ? securedListeners.length : 0);
  const voters = ports.map((p, i) => `${i + 1}@127.0.0.1:${p.controllerPort}`).join(',');
  const replication = String(count);
  const minIsr = count >= 3 ? '2' : '1';
  const clusterId = newClusterId();
  const jvmArgs = [...jvmFlags({ heapMb: options.heapMb ?? 256, fast: !options.fullJit }), log4jFlag];

  const nodeDirs = ports.map((_, i) => path.join(dir, `node-${i + 1}`));
  await Promise.all(
    ports.map(async (p, i) => {
      const id = i + 1;
      const secured = p.extra.map((port, e) => `${securedListeners[e]}://127.0.0.1:${port}`);
      const props: Record<string, string> = {
        'process.roles': 'broker,controller',
        'node.id': String(id),
        'controller.quorum.voters': voters,
        listeners: [
          `PLAINTEXT://127.0.0.1:${p.port}`,
          `CONTROLLER://127.0.0.1:${p.controllerPort}`,
          ...secured,
        ].join(','),
        'advertised.listeners': [`PLAINTEXT://127.0.0.1:${p.port}`, ...secured].join(','),
        'controller.listener.names': 'CONTROLLER',
        'inter.broker.listener.name': 'PLAINTEXT',
        'listener.security.protocol.map': [
          'PLAINTEXT:PLAINTEXT',
          'CONTROLLER:PLAINTEXT',
          ...(security ? securedListeners.map((l) => `${l}:${l}`) : []),
        ].join(','),
        ...(security ? securityProperties(security) : {}),
        'log.dirs': path.join(nodeDirs[i]!, 'log'),
        'default.replication.factor': replication,
        'min.insync.replicas': minIsr,
        'offsets.topic.replication.factor': replication,
        'transaction.state.log.replication.factor': replication,
        'transaction.state.log.min.isr': minIsr,
        'share.coordinator.state.topic.replication.factor': replication,
        'share.coordinator.state.topic.min.isr': minIsr,
        'auto.create.topics.enable': 'true',
        // A test's consumer group starts at once rather than after Kafka's 3 s default.
        'group.initial.rebalance.delay.ms': '0',
        ...options.properties,
      };
      await fs.mkdir(nodeDirs[i]!, { recursive: true });
      await fs.writeFile(
        path.join(nodeDirs[i]!, 'server.properties'),
        `${Object.entries(props)
          .map(([k, v]) => `${k}=${v}`)
          .join('\n')}\n`,
      );
    }),
  );

  const formatStarted = Date.now();
  // Kafka's own `kafka-storage.sh format`: the log's meta.properties and bootstrap metadata.
  await Promise.all(
    nodeDirs.map((nodeDir, i) =>
      runJvm({
        name: `kafka-storage-format:${i + 1}`,
        jars,
        classpath: [jars.kafka],
        mainClass: 'kafka.tools.StorageTool',
        args: [
          'format',
          '--cluster-id',
          clusterId,
          '--config',
          path.join(nodeDir, 'server.properties'),
          ...(security?.users ?? [])
            .filter((u) => u.mechanism !== 'PLAIN')
            .flatMap((u) => ['--add-scram', `${u.mechanism}=[name=${u.username},password=${u.password}]`]),
        ],
        jvmArgs,
      }),
    ),
  );
  const formatMs = Date.now() - formatStarted;

  const nodes: Array<KafkaNode & { jvm?: JvmProcess }> = ports.map((p, i) => {
    const nodeDir = nodeDirs[i]!;
    const node: KafkaNode & { jvm?: JvmProcess } = {
      id: i + 1,
      address: `127.0.0.1:${p.port}`,
      port: p.port,
      controllerPort: p.controllerPort,
      dir: nodeDir,
      get process() {
        return node.jvm;
      },
      async stop() {
        await node.jvm?.stop();
        node.jvm = undefined;
      },
      async kill() {
        await node.jvm?.kill();
        node.jvm = undefined;
      },
      async start() {
        if (node.jvm) throw new Error(`kafka node ${node.id} is already running`);
        node.jvm = startJvm({
          name: `kafka:${node.id}`,
          jars,
          classpath: [jars.kafka],
          mainClass: 'kafka.Kafka',
          args: [path.join(nodeDir, 'server.properties')],
          jvmArgs,
          logFile: path.join(nodeDir, 'server.log'),
        });
      },
    };
    return node;
  });

  const brokers = nodes.map((n) => n.address);
  const cluster: KafkaCluster = {
    brokers,
    secured: security
      ? (Object.fromEntries(
          securedListeners.map((l, e) => [l, ports.map((p) => `127.0.0.1:${p.extra[e]}`)]),
        ) as Record<SecuredListener, string[]>)
      : undefined,
    nodes,
    clusterId,
    dir,
    startupMs: { format: formatMs, ready: 0 },
    // Three JVMs starting at once on two shared cores can take a minute.
    async waitForBrokers(expected, timeoutMs = options.readyTimeoutMs ?? 120_000) {
      const running = nodes.map((n) => n.jvm).filter((j): j is JvmProcess => j !== undefined);
      const probe = waitFor(
        `${expected} Kafka broker(s) in metadata`,
        async () => {
          const admin = new Kafka({
            brokers: nodes.filter((n) => n.jvm).map((n) => n.address),
            logLevel: logLevel.NOTHING,
            retry: { retries: 0 },
            connectionTimeout: 1000,
          }).admin();
          try {
            await admin.connect();
            const { brokers: seen } = await admin.describeCluster();
            if (seen.length < expected) throw new Error(`${seen.length} broker(s) registered`);
          } finally {
            await admin.disconnect().catch(() => undefined);
          }
        },
        { timeoutMs, intervalMs: 200 },
      );
      // Any node dying while we wait fails the wait with its output.
      await Promise.race([
        probe,
        ...running.map((j) => whileAlive(j, 'it was ready', new Promise<never>(() => {}))),
      ]);
    },
    async stop({ keepData = false } = {}) {
      await Promise.all(nodes.map((n) => n.stop()));
      if (!keepData) await fs.rm(dir, { recursive: true, force: true });
    },
  };

  const started = Date.now();
  try {
    for (const n of nodes) await n.start();
    await cluster.waitForBrokers(count);
  } catch (err) {
    // Each node's last words say why it is not in the cluster (a port taken, a slow start).
    const said = nodes
      .map(
        (n) =>
          `--- kafka node ${n.id} (${n.address}) ---\n${n.jvm?.output().slice(-1500) ?? '(not running)'}`,
      )
      .join('\n');
    await Promise.all(nodes.map((n) => n.kill()));
    throw new Error(`${(err as Error).message}\n${said}`);
  }
  cluster.startupMs.ready = Date.now() - started;
  return cluster;
}
