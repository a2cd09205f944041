import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { Message, Producer, TopicMessages } from 'kafkajs';
import type { Logger } from '../../lib/log.ts';
import type { Encoded } from './encoding/types.ts';
import { groupMessagesPerPartition, loadPatchedKafkajs, prepareRecords } from './kafka-produce.ts';
import type { BinlogPosition } from './offsets.ts';
import { keyPartitioner, partitionForKey } from './partitioner.ts';

export interface OutMessage {
  topic: string;
  key: string | null;
  value: Encoded;
  /** Record-specific headers, added to the context headers every record carries. */
  headers?: Record<string, string>;
}

const { Kafka, logLevel: kafkaLogLevel, CompressionCodecs, CompressionTypes } = loadPatchedKafkajs();
const gzip = promisify(zlib.gzip);
const gunzip = promisify(zlib.gunzip);
/**
 * kafkajs' gzip at zlib level 3, the last of zlib's fast levels: JSON events with their schema
 * repeat one long schema text per record, which level 3's longer match search finds. On a
 * batch of the shop's products it compresses about 100-fold, at more bytes a second than
 * level 1 (which only finds shorter matches, about 45-fold); the default level 6 is several
 * times slower. It runs on libuv's pool, off the event loop. Still standard gzip batches any Kafka
 * client reads.
 */
CompressionCodecs[CompressionTypes.GZIP] = () => ({
  compress: (encoder: { buffer: Buffer }) => gzip(encoder.buffer, { level: 3 }),
  decompress: (buffer: Buffer) => gunzip(buffer),
});

/** A queue entry: a message, or a resume point that becomes safe once everything before it is acknowledged. */
type Entry =
  | { message: OutMessage; checkpoint?: undefined }
  | { message?: undefined; checkpoint: Checkpoint };

interface Batch {
  topicMessages: TopicMessages[];
  count: number;
  checkpoint?: Checkpoint;
}

export interface Checkpoint {
  position: BinlogPosition;
  snapshotCompleted: boolean;
}

/**
 * Sends events to Kafka in the order they were read, one request in flight at a time (so a
 * retried request can never overtake a later one), as large as the queue allows: while one
 * request is on the wire the next batch fills up, so throughput grows with load while an
 * isolated change goes out at once. Resume points travel in the same queue and are reported
 * only when every message queued before them is acknowledged by Kafka (acks=all).
 */
export class Publisher {
  private readonly producer: Producer;
  private queue: Entry[] = [];
  private queuedMessages = 0;
  private inFlight = false;
  /** Messages of the request in flight. */
  private sending = 0;
  /** The next batch, taken off the queue while a request is in flight so its records compress meanwhile. */
  private next: Batch | undefined;
  /** Partitions per topic, as kafkajs' metadata gave them to the partitioner. */
  private readonly partitionMetadata = new Map<string, unknown[]>();
  private readonly compression: number;
  private stopped = false;
  private roomWaiters: (() => void)[] = [];
  private drainWaiters: (() => void)[] = [];
  /** Messages acknowledged since start. */
  acknowledged = 0;
  lastError: string | undefined;

  constructor(
    brokers: string[],
    private readonly options: {
      clientId: string;
      maxBatch: number;
      maxQueue: number;
      log: Logger;
      compression: 'none' | 'gzip';
      /** Kafka headers every record carries (Debezium's extended context headers). */
      headers: Record<string, string>;
      onCheckpoint: (c: Checkpoint) => void;
      onAcked?: (messages: number) => void;
    },
  ) {
    this.compression = options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
    const kafka = new Kafka({
      clientId: options.clientId,
      brokers,
      logLevel: kafkaLogLevel.NOTHING,
      retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 5000 },
    });
    // One request in flight is what keeps per-partition order across retries without an idempotent producer.
    this.producer = kafka.producer({
      maxInFlightRequests: 1,
      allowAutoTopicCreation: true,
      idempotent: false,
      createPartitioner: () => {
        const partition = keyPartitioner();
        return (args) => {
          this.partitionMetadata.set(args.topic, args.partitionMetadata);
          return partition(args);
        };
      },
    });
  }

  async connect(): Promise<void> {
    await this.producer.connect();
  }

  get size(): number {
    return this.queuedMessages;
  }

  /** Queues messages (and optionally a resume point after them); sends start immediately. */
  push(messages: OutMessage[], checkpoint?: Checkpoint): void {
    for (const message of messages) this.queue.push({ message });
    this.queuedMessages += messages.length;
    if (checkpoint) this.queue.push({ checkpoint });
    this.pump();
  }

  /** Resolves when the queue has room again: readers await it to apply back-pressure. */
  async room(): Promise<void> {
    if (this.queuedMessages < this.options.maxQueue || this.stopped) return;
    await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
  }

  /** Resolves when everything queued so far is acknowledged. */
  async drain(): Promise<void> {
    if (this.idle || this.stopped) return;
    await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
  }

  async close(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.producer.disconnect().catch(() => undefined);
  }

  private get idle(): boolean {
    return this.queue.length === 0 && !this.inFlight && !this.next;
  }

  /** Failures are retried without end (the events stay queued, in order); they show on the status endpoint. */
  private pump(): void {
    if (this.stopped) return;
    if (this.inFlight) {
      this.prepareNext();
      return;
    }
    const take = this.next ?? (this.queue.length > 0 ? this.takeBatch() : undefined);
    this.next = undefined;
    if (!take) return;
    this.inFlight = true;
    this.sending = take.count;
    void this.sendUntilAccepted(take.topicMessages, take.count).then((accepted) => {
      this.inFlight = false;
      this.sending = 0;
      // Stopped mid-send: nothing after this point may be reported as safe.
      if (!accepted) return this.wake();
      this.queuedMessages -= take.count;
      this.acknowledged += take.count;
      if (take.count > 0) this.options.onAcked?.(take.count);
      if (take.checkpoint) this.options.onCheckpoint(take.checkpoint);
      this.wake();
      this.pump();
    });
    this.prepareNext();
  }

  /**
   * While a request is in flight and a whole batch waits behind it, takes that batch and starts
   * compressing its records, grouped per partition as kafkajs will group them. Only whole
   * batches: under light load a change still leaves with whatever joined it by the time the
   * request before it is acknowledged.
   */
  private prepareNext(): void {
    const waiting = this.queuedMessages - this.sending;
    if (this.next || waiting < this.options.maxBatch) return;
    this.next = this.takeBatch();
    for (const { topic, messages } of this.next.topicMessages) {
      const partitionMetadata = this.partitionMetadata.get(topic);
      // Keyless messages go round robin: their partition is known only when kafkajs sends them.
      if (!partitionMetadata || messages.some((m) => m.key === null || m.key === undefined)) continue;
      const groups = groupMessagesPerPartition({
        topic,
        partitionMetadata,
        messages,
        // Set on the message too, so kafkajs' partitioner does not hash the key again.
        partitioner: ({ message }) => {
          message.partition = partitionForKey(message.key as string | Buffer, partitionMetadata.length);
          return message.partition;
        },
      });
      for (const group of Object.values(groups)) prepareRecords(group, this.compression);
    }
  }

  private takeBatch(): Batch {
    const byTopic = new Map<string, TopicMessages>();
    let count = 0;
    let checkpoint: Checkpoint | undefined;
    let i = 0;
    for (; i < this.queue.length && count < this.options.maxBatch; i++) {
      const entry = this.queue[i] as Entry;
      if (entry.checkpoint) {
        checkpoint = entry.checkpoint;
        continue;
      }
      const m = entry.message;
      let t = byTopic.get(m.topic);
      if (!t) {
        t = { topic: m.topic, messages: [] };
        byTopic.set(m.topic, t);
      }
      t.messages.push({
        key: m.key,
        // Framed values are written by the connector's produce encoder (kafka-produce.ts).
        value: m.value as Message['value'],
        headers: m.headers ? { ...this.options.headers, ...m.headers } : this.options.headers,
      });
      count++;
    }
    // A resume point right after the batch belongs to it.
    while (i < this.queue.length && this.queue[i]?.checkpoint) checkpoint = this.queue[i++]?.checkpoint;
    this.queue = i === this.queue.length ? [] : this.queue.slice(i);
    return { topicMessages: [...byTopic.values()], count, checkpoint };
  }

  private async sendUntilAccepted(topicMessages: TopicMessages[], count: number): Promise<boolean> {
    if (count === 0) return true;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.producer.sendBatch({
          topicMessages,
          acks: -1,
          timeout: 30_000,
          compression: this.compression,
        });
        this.lastError = undefined;
        return true;
      } catch (err) {
        if (this.stopped) return false;
        this.lastError = (err as Error).message;
        this.options.log.error({ err, attempt, messages: count }, 'Kafka did not accept a batch; retrying');
        await new Promise((r) => setTimeout(r, Math.min(5000, 250 * attempt)));
      }
    }
  }

  private wake(): void {
    if (this.queuedMessages < this.options.maxQueue || this.stopped) {
      for (const w of this.roomWaiters.splice(0)) w();
    }
    if (this.idle || this.stopped) {
      for (const w of this.drainWaiters.splice(0)) w();
    }
  }
}
