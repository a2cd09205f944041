import type { KafkaSecurity } from '../../lib/kafka-security.ts';
import type { Logger } from '../../lib/log.ts';
import type { Encoded } from './encoding/types.ts';
import { connectionFactory } from './kafka-client/connection.ts';
import { type ProduceMessage, prepareRecords } from './kafka-client/produce-encoder.ts';
import { KafkaProducer } from './kafka-client/producer.ts';
import type { BinlogPosition } from './offsets.ts';
import { keyPartitioner, partitionForKey } from './partitioner.ts';

export interface OutMessage {
  topic: string;
  key: string | null;
  value: Encoded;
  /** Record-specific headers, added to the context headers every record carries. */
  headers?: Record<string, string>;
}

interface TopicMessages {
  topic: string;
  messages: ProduceMessage[];
}

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
  private readonly producer: KafkaProducer;
  private queue: Entry[] = [];
  private queuedMessages = 0;
  private inFlight = false;
  /** Messages of the request in flight. */
  private sending = 0;
  /** The next batch, taken off the queue while a request is in flight so its records compress meanwhile. */
  private next: Batch | undefined;
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
      /** TLS and SASL for every broker connection; plain TCP when absent. */
      security?: KafkaSecurity | undefined;
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
    // One request in flight is what keeps per-partition order across retries without an idempotent producer.
    this.producer = new KafkaProducer({
      brokers,
      clientId: options.clientId,
      partitioner: keyPartitioner(),
      allowAutoTopicCreation: true,
      retry: { retries: 5, initialRetryTimeMs: 200, maxRetryTimeMs: 5000 },
      ...(options.security ? { connect: connectionFactory(options.security) } : {}),
      log: options.log,
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
   * compressing its records, grouped per partition as the producer will group them. Only whole
   * batches: under light load a change still leaves with whatever joined it by the time the
   * request before it is acknowledged.
   */
  private prepareNext(): void {
    const waiting = this.queuedMessages - this.sending;
    if (this.next || waiting < this.options.maxBatch) return;
    this.next = this.takeBatch();
    for (const { topic, messages } of this.next.topicMessages) {
      const partitions = this.producer.partitionCount(topic);
      // Keyless messages go round robin: their partition is known only when the producer sends them.
      if (!partitions || messages.some((m) => m.key === null || m.key === undefined)) continue;
      const groups = new Map<number, ProduceMessage[]>();
      for (const message of messages) {
        // Set on the message too, so the producer's partitioner does not hash the key again.
        message.partition = partitionForKey(message.key as string, partitions);
        const group = groups.get(message.partition);
        if (group) group.push(message);
        else groups.set(message.partition, [message]);
      }
      for (const group of groups.values()) prepareRecords(group, this.options.compression);
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
        // Framed values are written as they are by the produce encoder.
        value: m.value,
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
        await this.producer.send({
          topicMessages,
          acks: -1,
          timeoutMs: 30_000,
          compression: this.options.compression,
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
