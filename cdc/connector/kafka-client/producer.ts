import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../../lib/log.ts';
import { ApiKey } from '../../kafka-protocol/api-keys.ts';
import { ErrorCode, errorName, isRetriable } from '../../kafka-protocol/error-codes.ts';
import { ConnectorError } from '../errors.ts';
import { addressText, type BrokerAddress, parseAddress } from './address.ts';
import {
  type BrokerConnection,
  type ConnectionFactory,
  type ConnectionOptions,
  openConnection,
} from './connection.ts';
import { type CompressionName, encodeBatch, type ProduceMessage } from './produce-encoder.ts';
import {
  decodeMetadataV4,
  decodeProduceV3,
  encodeMetadataV4,
  encodeProduceV3,
  type Metadata,
  type ProduceResult,
  VERSIONS,
} from './requests.ts';

/** Chooses a message's partition among `partitions` (see partitioner.ts). */
export type Partitioner = (message: ProduceMessage, partitions: number) => number;

export interface RetryOptions {
  /** Attempts after the first. */
  retries: number;
  initialRetryTimeMs: number;
  maxRetryTimeMs: number;
}

export interface ProducerOptions {
  /** Bootstrap brokers, `host:port`; the cluster's own list comes from Metadata. */
  brokers: readonly string[];
  clientId: string;
  partitioner: Partitioner;
  /** Topics named in a send are created by the broker's auto-creation (Metadata's flag). */
  allowAutoTopicCreation: boolean;
  retry: RetryOptions;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** The connection seam (TLS, SASL): plain TCP by default. */
  connect?: ConnectionFactory;
  log?: Logger;
}

export interface SendRequest {
  topicMessages: ReadonlyArray<{ topic: string; messages: ProduceMessage[] }>;
  /** -1 = all in-sync replicas. */
  acks: number;
  timeoutMs: number;
  compression: CompressionName;
}

interface PartitionSend {
  topic: string;
  partition: number;
  messages: ProduceMessage[];
  batch?: Promise<Buffer>;
}

const produceError = (topic: string, partition: number, code: number) =>
  new ConnectorError(
    'CONNECTOR_ERR_PRODUCE',
    `Kafka refused the events for topic ${topic} partition ${partition}: ${errorName(code)} (${code}, ${
      isRetriable(code) ? 'retriable' : 'not retriable'
    })`,
    { retriable: isRetriable(code), context: { topic, partition, errorCode: code, error: errorName(code) } },
  );

const topicError = (topic: string, code: number) =>
  new ConnectorError(
    'CONNECTOR_ERR_PRODUCE',
    `Kafka has no usable topic ${topic}: ${errorName(code)} (${code}, ${
      isRetriable(code) ? 'retriable' : 'not retriable'
    })${code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? '; create it, or enable auto.create.topics.enable' : ''}`,
    { retriable: isRetriable(code), context: { topic, errorCode: code, error: errorName(code) } },
  );

const METADATA_MAX_AGE_MS = 300_000;

const retriable = (err: unknown) => err instanceof ConnectorError && err.retriable;

/**
 * The connector's Kafka producer: bootstrap, Metadata for partitions and their leaders, and
 * Produce (v3, acks as asked) to each partition's leader. One `send` at a time, each sending
 * at most one request per broker, so a retried partition can never be overtaken by a later
 * batch: per-partition order holds without an idempotent producer. Retriable failures
 * (leadership moved, a topic still being created, too few replicas, timeouts, lost
 * connections) refresh metadata and retry the partitions not yet acknowledged, with backoff;
 * anything else fails the send at once with CONNECTOR_ERR_PRODUCE naming topic, partition and
 * Kafka's error.
 */
export class KafkaProducer {
  private readonly bootstrap: BrokerAddress[];
  private readonly connectionOptions: ConnectionOptions;
  private readonly openConnection: ConnectionFactory;
  private readonly connections = new Map<string, Promise<BrokerConnection>>();
  private readonly nodes = new Map<number, BrokerAddress>();
  /** Leader node id per partition index, per topic. */
  private readonly leaders = new Map<string, number[]>();
  /** When each topic's metadata was last fetched. */
  private readonly metadataAt = new Map<string, number>();
  private sending = false;
  private closed = false;

  constructor(private readonly options: ProducerOptions) {
    this.bootstrap = options.brokers.map(parseAddress);
    this.connectionOptions = {
      clientId: options.clientId,
      connectTimeoutMs: options.connectTimeoutMs ?? 1000,
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    };
    this.openConnection = options.connect ?? openConnection;
  }

  /** Reaches the cluster (retrying as a send does) and learns its brokers. */
  async connect(): Promise<void> {
    await this.withRetries(() => this.refreshMetadata([]));
  }

  /** Partitions of a topic as last seen in metadata; undefined before the first send to it. */
  partitionCount(topic: string): number | undefined {
    return this.leaders.get(topic)?.length;
  }

  async send(req: SendRequest): Promise<void> {
    if (this.sending) throw new Error('KafkaProducer.send: one send at a time (per-partition order)');
    this.sending = true;
    try {
      await this.sendOnce(req);
    } finally {
      this.sending = false;
    }
  }

  async disconnect(): Promise<void> {
    this.closed = true;
    const open = [...this.connections.values()];
    this.connections.clear();
    for (const c of await Promise.allSettled(open)) if (c.status === 'fulfilled') c.value.close();
  }

  private async sendOnce(req: SendRequest): Promise<void> {
    const topics = req.topicMessages.filter((t) => t.messages.length > 0).map((t) => t.topic);
    if (topics.length === 0) return;
    if (req.acks === 0)
      throw new Error('KafkaProducer.send: acks=0 is not supported (no answer to wait for)');
    let parts: PartitionSend[] | undefined;
    let refresh = false;
    await this.withRetries(async () => {
      if (!parts) {
        // Metadata ages like kafkajs' (metadataMaxAge): added partitions are found within minutes.
        const now = Date.now();
        const due = topics.filter((t) => now - (this.metadataAt.get(t) ?? 0) > METADATA_MAX_AGE_MS);
        if (due.length > 0) await this.refreshMetadata(due);
        parts = this.assignPartitions(req);
        // Encoded once: a retry sends the same batches.
        for (const p of parts) {
          p.batch = encodeBatch(p.messages, req.compression);
          // Awaited when sent; a round that fails before then must not leave it unobserved.
          p.batch.catch(() => undefined);
        }
      } else if (refresh) {
        await this.refreshMetadata(topics);
      }
      refresh = true;
      const round = await this.produceOnce(parts, req);
      parts = round.left;
      if (round.error) throw round.error;
    });
  }

  /** Messages per partition, in order; the partition is chosen once per send. */
  private assignPartitions(req: SendRequest): PartitionSend[] {
    const out: PartitionSend[] = [];
    for (const { topic, messages } of req.topicMessages) {
      const count = this.partitionCount(topic) ?? 0;
      if (count === 0 || messages.length === 0) continue;
      const byPartition = new Map<number, PartitionSend>();
      for (const m of messages) {
        const partition = this.options.partitioner(m, count);
        let p = byPartition.get(partition);
        if (!p) {
          p = { topic, partition, messages: [] };
          byPartition.set(partition, p);
          out.push(p);
        }
        p.messages.push(m);
      }
    }
    return out;
  }

  /**
   * One Produce request per leader, all at once; returns the partitions still to send and why.
   * A non-retriable answer fails the send (after every request of the round has settled); a
   * retriable one, or a lost connection, is retried once the round is over. Partitions already
   * acknowledged are never sent again.
   */
  private async produceOnce(
    parts: PartitionSend[],
    req: SendRequest,
  ): Promise<{ left: PartitionSend[]; error?: Error }> {
    const byLeader = new Map<number, PartitionSend[]>();
    for (const p of parts) {
      const leader = this.leaders.get(p.topic)?.[p.partition] ?? -1;
      if (leader < 0 || !this.nodes.has(leader))
        throw produceError(p.topic, p.partition, ErrorCode.LEADER_NOT_AVAILABLE);
      const list = byLeader.get(leader);
      if (list) list.push(p);
      else byLeader.set(leader, [p]);
    }
    const rounds = await Promise.allSettled(
      [...byLeader].map(async ([leader, list]) => {
        const topics = new Map<string, Array<{ partition: number; batch: Buffer }>>();
        for (const p of list) {
          const batch = await (p.batch as Promise<Buffer>);
          const t = topics.get(p.topic);
          if (t) t.push({ partition: p.partition, batch });
          else topics.set(p.topic, [{ partition: p.partition, batch }]);
        }
        const conn = await this.connection(this.nodes.get(leader) as BrokerAddress);
        const body = encodeProduceV3(
          req.acks,
          req.timeoutMs,
          [...topics].map(([topic, partitions]) => ({ topic, partitions })),
        );
        return conn.request<ProduceResult>({
          apiKey: ApiKey.Produce,
          apiVersion: VERSIONS.Produce,
          body,
          decode: decodeProduceV3,
          // The broker answers by timeoutMs itself; the margin is for the network.
          timeoutMs: req.timeoutMs + 5000,
        });
      }),
    );
    const acknowledged = new Set<string>();
    let fatal: Error | undefined;
    let retry: Error | undefined;
    for (const round of rounds) {
      if (round.status === 'rejected') {
        if (retriable(round.reason)) retry = round.reason as Error;
        else fatal ??= round.reason as Error;
        continue;
      }
      for (const r of round.value) {
        if (r.errorCode === 0) acknowledged.add(`${r.partition}/${r.topic}`);
        else if (isRetriable(r.errorCode)) retry = produceError(r.topic, r.partition, r.errorCode);
        else fatal ??= produceError(r.topic, r.partition, r.errorCode);
      }
    }
    const left = parts.filter((p) => !acknowledged.has(`${p.partition}/${p.topic}`));
    if (fatal || left.length === 0) return { left, error: fatal };
    const missing = new ConnectorError(
      'CONNECTOR_ERR_PRODUCE',
      'Kafka answered without every partition sent',
      {
        retriable: true,
      },
    );
    return { left, error: retry ?? missing };
  }

  /** Metadata for `topics` (auto-creating them when allowed) from any reachable broker. */
  private async refreshMetadata(topics: readonly string[]): Promise<void> {
    const conn = await this.anyConnection();
    const md: Metadata = await conn.request({
      apiKey: ApiKey.Metadata,
      apiVersion: VERSIONS.Metadata,
      body: encodeMetadataV4(topics, this.options.allowAutoTopicCreation),
      decode: decodeMetadataV4,
    });
    for (const b of md.brokers) this.nodes.set(b.nodeId, { host: b.host, port: b.port });
    let failure: Error | undefined;
    for (const t of md.topics) {
      if (t.errorCode !== 0 || t.partitions.length === 0) {
        const err = topicError(t.name, t.errorCode || ErrorCode.LEADER_NOT_AVAILABLE);
        if (!err.retriable) throw err;
        failure = err;
        continue;
      }
      // Leader -1: no leader right now (LEADER_NOT_AVAILABLE); a send to it waits for a refresh.
      const leaders = new Array<number>(t.partitions.length).fill(-1);
      for (const p of t.partitions) leaders[p.index] = p.leader;
      this.leaders.set(t.name, leaders);
      this.metadataAt.set(t.name, Date.now());
    }
    if (failure) throw failure;
  }

  /** An open connection if there is one, else the first bootstrap or known broker that answers. */
  private async anyConnection(): Promise<BrokerConnection> {
    for (const c of this.connections.values()) {
      const conn = await c.catch(() => undefined);
      if (conn && !conn.closed) return conn;
    }
    const problems: string[] = [];
    for (const address of [...this.bootstrap, ...this.nodes.values()]) {
      try {
        return await this.connection(address);
      } catch (err) {
        if (!retriable(err)) throw err;
        problems.push((err as Error).message);
      }
    }
    throw new ConnectorError(
      'CONNECTOR_ERR_KAFKA_CONNECTION',
      `cannot reach any Kafka broker of ${this.bootstrap.map(addressText).join(',')} (${[...new Set(problems)].join('; ')})`,
      { retriable: true },
    );
  }

  private async connection(address: BrokerAddress): Promise<BrokerConnection> {
    const key = addressText(address);
    const cached = this.connections.get(key);
    if (cached) {
      const conn = await cached.catch(() => undefined);
      if (conn && !conn.closed) return conn;
      if (this.connections.get(key) === cached) this.connections.delete(key);
    }
    if (this.closed) throw new ConnectorError('CONNECTOR_ERR_KAFKA_CONNECTION', 'the producer is closed');
    const opening = this.openConnection(address, this.connectionOptions);
    this.connections.set(key, opening);
    opening.catch(() => {
      if (this.connections.get(key) === opening) this.connections.delete(key);
    });
    return opening;
  }

  /** Runs `attempt` until it succeeds, a non-retriable error, the retries run out or the producer closes. */
  private async withRetries(attempt: () => Promise<unknown>): Promise<void> {
    const { retries, initialRetryTimeMs, maxRetryTimeMs } = this.options.retry;
    for (let n = 0; ; n++) {
      try {
        await attempt();
        return;
      } catch (err) {
        if (!retriable(err) || n >= retries || this.closed) throw err;
        // Exponential with ±20 % jitter, so several producers do not retry in step.
        const wait = Math.min(maxRetryTimeMs, initialRetryTimeMs * 2 ** n) * (0.8 + Math.random() * 0.4);
        this.options.log?.debug(
          { err: (err as Error).message, attempt: n + 1, waitMs: Math.round(wait) },
          'Kafka retry',
        );
        await sleep(wait);
      }
    }
  }
}
