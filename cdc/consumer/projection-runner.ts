import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Admin,
  type Consumer,
  type EachBatchPayload,
  Kafka,
  type KafkaMessage,
  logLevel,
  type Producer,
} from 'kafkajs';
import type { Knex } from 'knex';
import { formatSourcePosition } from '../../contract/index.ts';
import type { KafkaSecurity } from '../../lib/kafka-security.ts';
import { createLogger, type Logger } from '../../lib/log.ts';
import { settledWithin } from '../../lib/timeout.ts';
import { Operation } from '../debezium/envelope.ts';
import { type DeadLetter, defaultDlqTopic, sendDeadLetters } from './dead-letter.ts';
import { type ChangeEvent, type DecodeOptions, decodeRecord, type RawRecord } from './envelope.ts';
import { ConsumerError } from './errors.ts';
import { checkKafkaAccess, kafkaAccessRefused, kafkaClientOptions } from './kafka-access.ts';
import { loadOffsets, offsetKey, type StoredOffset, saveOffsets } from './offset-store.ts';
import { backoffMs, classify } from './retry-policy.ts';
import { binlogHeadReader, SourceHead } from './source-head.ts';
import { checkEvent, type SourceTable, type TopicExpectation, topicExpectations } from './validation.ts';

/** Log lines of a stop that could not reach Kafka (operators and tests look for them). */
export const offsetCommitFailed = 'could not commit the applied offsets to Kafka on stop';
export const disconnectTimedOut = 'Kafka did not answer the disconnect in time (broker gone?)';

/** A read model fed by change events: which topics, and how a batch of events changes the store. */
export interface Projection {
  name: string;
  topics: string[];
  decode?: DecodeOptions;
  /**
   * Null-value records: `ignore` after full envelopes (the `d` came first), `delete` for unwrap's
   * tombstone mode (a `d` event with the key as `before`, ordered just after the partition's
   * previous event: see placeTombstones).
   */
  tombstones?: 'ignore' | 'delete';
  /**
   * What each topic carries, by topic: source db and table (default: from the topic name
   * `<prefix>.<db>.<table>`), key columns, and the columns the handler reads with their types.
   * Every event is checked against it before the handler sees it (docs/consumer.md, Validation).
   */
  sources?: Record<string, SourceTable>;
  /** Applies events in order inside the store transaction; throw poisonEvent() for an event that can never apply. */
  handle?(event: ChangeEvent, trx: Knex.Transaction): Promise<void>;
  /** Same, for a whole batch (multi-row upserts); used instead of `handle` when given. */
  handleBatch?(events: ChangeEvent[], trx: Knex.Transaction): Promise<void>;
}

export interface RunnerOptions {
  brokers: string[];
  /**
   * TLS and SASL (lib/kafka-security.ts, from KAFKA_SECURITY_PROTOCOL and friends); plain TCP
   * when absent. With it, start() fails at once with CDC_ERR_KAFKA_AUTH or CDC_ERR_KAFKA_TLS
   * when the broker refuses the credential or the certificate is not trusted.
   */
  security?: KafkaSecurity | undefined;
  groupId: string;
  clientId?: string;
  knex: Knex;
  projection: Projection;
  dlqTopic?: (topic: string) => string;
  retry?: { baseMs?: number; capMs?: number; maxUnknownAttempts?: number };
  log?: Logger;
  /** Create missing source and dead-letter topics (one partition) before subscribing. */
  createTopics?: boolean;
  /** Fetch long-poll wait; the broker answers as soon as data arrives, so this bounds idle polling only. */
  maxWaitTimeMs?: number;
  /**
   * The source server the connector reads (a mysql:// URL): an event whose binlog position is
   * beyond what it has written is dead-lettered. Asked only when an event is ahead of its last
   * answer. Without it positions are not checked (the services always pass it).
   */
  sourceUrl?: string;
}

export interface PartitionProgress extends StoredOffset {
  highWatermark: bigint | null;
  appliedAtMs: number | null;
}

interface Item {
  raw: RawRecord & { headers?: KafkaMessage['headers'] };
  event?: ChangeEvent;
  error?: unknown;
  /** The event is a tombstone turned into a delete (`tombstones: 'delete'`). */
  tombstone?: true;
}

class Stopping extends Error {}

/**
 * Runs one projection over a kafkajs consumer group. Each fetched batch is applied in ONE
 * store transaction together with the consumed offsets (table cdc_offsets); on assignment the
 * consumer seeks to the stored offsets, so the store — not Kafka's group offsets — decides
 * where to resume. Undecodable records and events a handler rejects go to the dead-letter
 * topic and the stream goes on; transient store errors are retried with capped backoff.
 */
export class ProjectionRunner extends EventEmitter {
  readonly progress = new Map<string, PartitionProgress>();
  readonly counters = {
    applied: 0,
    ignored: 0,
    deadLettered: 0,
    retries: 0,
    batches: 0,
    /** Dead letters per error code (`CDC_ERR_EVENT_MISROUTED`, `CDC_ERR_POSITION_AHEAD`, …). */
    deadLetteredByReason: {} as Record<string, number>,
    /** Times the source server was asked for its binlog position. */
    sourceChecks: 0,
  };
  private readonly kafka: Kafka;
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly admin: Admin;
  private readonly log: Logger;
  private readonly dlqTopic: (topic: string) => string;
  private stopping = false;
  private lastError: string | null = null;
  private readonly lettered = new Set<string>();
  private readonly sought = new Set<string>();
  /** Batches being applied to the store: stop() waits for them, however long Kafka takes. */
  private readonly applying = new Set<Promise<boolean>>();
  private readonly expectations: Map<string, TopicExpectation>;
  private readonly sourceHead: SourceHead | null;
  private readonly closeSource: () => Promise<void>;

  constructor(private readonly options: RunnerOptions) {
    super();
    if (options.projection.topics.length === 0) {
      throw new ConsumerError(
        'CDC_ERR_INVALID_OPTION',
        `projection ${options.projection.name} names no topics`,
      );
    }
    if (!options.projection.handle && !options.projection.handleBatch) {
      throw new ConsumerError(
        'CDC_ERR_INVALID_OPTION',
        `projection ${options.projection.name} needs handle or handleBatch`,
      );
    }
    this.expectations = topicExpectations(
      options.projection.name,
      options.projection.topics,
      options.projection.sources,
    );
    this.log = options.log ?? createLogger(`projection:${options.projection.name}`);
    if (options.sourceUrl) {
      const reader = binlogHeadReader(options.sourceUrl);
      this.sourceHead = new SourceHead(reader.read);
      this.closeSource = reader.close;
    } else {
      this.sourceHead = null;
      this.closeSource = async () => undefined;
    }
    this.dlqTopic = options.dlqTopic ?? defaultDlqTopic;
    this.kafka = new Kafka({
      ...kafkaClientOptions(
        options.brokers,
        options.clientId ?? `projection-${options.projection.name}`,
        options.security,
      ),
      logLevel: logLevel.NOTHING,
      retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 5000 },
    });
    this.consumer = this.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      maxWaitTimeInMs: options.maxWaitTimeMs ?? 100,
      // A background loop never gives up: after any crash kafkajs rejoins and we seek again.
      retry: {
        retries: 10,
        initialRetryTime: 200,
        maxRetryTime: 5000,
        restartOnFailure: async () => !this.stopping,
      },
    });
    this.producer = this.kafka.producer({ allowAutoTopicCreation: true });
    this.admin = this.kafka.admin();
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      this.sought.clear();
      this.seekToStored(e.payload.memberAssignment).catch((err) =>
        this.log.error({ err }, 'seek to stored offsets failed'),
      );
    });
    this.consumer.on(this.consumer.events.CRASH, (e) => {
      this.lastError = String(e.payload.error?.message ?? e.payload.error);
      this.log.error({ err: e.payload.error }, 'consumer crashed; restarting it');
    });
  }

  async start(): Promise<void> {
    const stored = await loadOffsets(this.options.knex, this.options.groupId);
    for (const [key, offset] of stored)
      this.progress.set(key, { ...offset, highWatermark: null, appliedAtMs: null });
    const { security } = this.options;
    if (security && security.protocol !== 'PLAINTEXT') {
      await checkKafkaAccess(this.options.brokers, `${this.options.groupId}-check`, security);
      try {
        await Promise.all([this.admin.connect(), this.producer.connect()]);
      } catch (err) {
        throw kafkaAccessRefused(err, security, this.options.brokers) ?? err;
      }
    } else await Promise.all([this.admin.connect(), this.producer.connect()]);
    if (this.options.createTopics ?? true) {
      const topics = this.options.projection.topics.flatMap((t) => [t, this.dlqTopic(t)]);
      const existing = new Set(await this.admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t));
      if (missing.length > 0)
        await this.admin.createTopics({ topics: missing.map((topic) => ({ topic, numPartitions: 1 })) });
    }
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.options.projection.topics, fromBeginning: true });
    await this.consumer.run({
      autoCommit: true,
      autoCommitInterval: 1000,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  /**
   * Graceful: the batch in flight finishes (its transaction commits), then Kafka offsets are
   * committed and the group left. The Kafka part is bounded by `timeoutMs`, counted once the
   * store is done: with the broker gone (stopped first, or crashed) kafkajs retries its
   * disconnect for about 20 s. Giving up on Kafka loses nothing, since every applied batch's
   * offsets are in the store, written in the batch's own transaction. Resolves false when it
   * gave up on Kafka.
   */
  async stop(timeoutMs = 3000): Promise<boolean> {
    this.stopping = true;
    const applied = Promise.allSettled(this.applying);
    const disconnect = (async () => {
      // Commit the applied offsets ourselves rather than trust kafkajs's disconnect to: it
      // swallows a failed commit or leave, so a stop with the broker gone would end in silence.
      await applied;
      const offsets = this.appliedOffsets();
      if (offsets.length > 0)
        await this.consumer
          .commitOffsets(offsets)
          .catch((err) =>
            this.log.warn({ err }, `${offsetCommitFailed}; the store holds the applied offsets`),
          );
      await this.consumer
        .disconnect()
        .catch((err) => this.log.warn({ err }, 'Kafka consumer disconnect failed'));
      await Promise.all([this.producer.disconnect(), this.admin.disconnect()]).catch(() => undefined);
      return true;
    })();
    await applied;
    await this.closeSource().catch(() => undefined);
    const done = await settledWithin(disconnect, timeoutMs);
    if (!done)
      this.log.warn(
        { timeoutMs, lastError: this.lastError },
        `${disconnectTimedOut}; stopped without it, the store holds the applied offsets`,
      );
    return done;
  }

  /** The next offset to read on every partition something was applied from. */
  private appliedOffsets(): { topic: string; partition: number; offset: string }[] {
    return [...this.progress.values()].map((p) => ({
      topic: p.topic,
      partition: p.partition,
      offset: p.nextOffset.toString(),
    }));
  }

  /** The newest source position applied on any partition: what the store reflects. */
  storePosition(): { label: string; key: string; sourceTsMs: number | null } | null {
    let best: PartitionProgress | undefined;
    for (const p of this.progress.values())
      if (p.positionKey && (!best || p.positionKey > best.positionKey)) best = p;
    return best ? { label: best.positionLabel, key: best.positionKey, sourceTsMs: best.sourceTsMs } : null;
  }

  /** Per partition: offsets behind the log end, and the source time of the newest applied event. */
  async lag(): Promise<{
    topics: Record<string, unknown>[];
    eventsBehind: number;
    /** null: behind on a partition nothing has been applied from yet, so the delay is unknown. */
    lagMs: number | null;
    lastError: string | null;
  }> {
    const topics: Record<string, unknown>[] = [];
    let eventsBehind = 0;
    let oldestUnappliedTs = 0;
    let unknownLag = false;
    for (const topic of this.options.projection.topics) {
      const ends = await this.admin.fetchTopicOffsets(topic);
      for (const end of ends) {
        const p = this.progress.get(offsetKey(topic, end.partition));
        const next = p?.nextOffset ?? BigInt(end.low);
        const behind = Number(BigInt(end.high) - next);
        eventsBehind += Math.max(0, behind);
        if (behind > 0) {
          // without an applied event there is no source time to measure from (now − 0 is no lag figure)
          if (!p?.sourceTsMs) unknownLag = true;
          else oldestUnappliedTs = Math.max(oldestUnappliedTs, Date.now() - p.sourceTsMs);
        }
        topics.push({
          topic,
          partition: end.partition,
          nextOffset: next.toString(),
          highWatermark: end.high,
          eventsBehind: Math.max(0, behind),
          sourcePosition: p?.positionLabel || null,
          sourceTsMs: p?.sourceTsMs ?? null,
        });
      }
    }
    return {
      topics,
      eventsBehind,
      lagMs: eventsBehind === 0 ? 0 : unknownLag ? null : oldestUnappliedTs,
      lastError: this.lastError,
    };
  }

  private async seekToStored(assignment: Record<string, number[]>): Promise<void> {
    for (const [topic, partitions] of Object.entries(assignment)) {
      const ends = partitions.some((p) => !this.progress.has(offsetKey(topic, p)))
        ? await this.admin.fetchTopicOffsets(topic)
        : [];
      for (const partition of partitions) {
        const stored = this.progress.get(offsetKey(topic, partition));
        const offset = stored
          ? stored.nextOffset.toString()
          : (ends.find((e) => e.partition === partition)?.low ?? '0');
        this.consumer.seek({ topic, partition, offset });
        this.sought.add(offsetKey(topic, partition));
      }
    }
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const key = offsetKey(batch.topic, batch.partition);
    // Not positioned on the store's offset yet (the seek is in flight): leave the batch
    // unresolved, kafkajs fetches again from the sought offset.
    if (!this.sought.has(key) || payload.isStale()) return;
    const from = this.progress.get(key)?.nextOffset ?? -1n;
    // Offsets already in the store were applied (Kafka re-delivered them after a crash or a seek).
    const messages = batch.messages.filter((m) => BigInt(m.offset) >= from);
    if (messages.length === 0 || this.stopping) {
      if (messages.length === 0 && batch.messages.length > 0) payload.resolveOffset(batch.lastOffset());
      return;
    }
    const items = messages.map((m) => this.decode(batch.topic, batch.partition, m));
    const applying = this.apply(payload, batch.topic, batch.partition, items);
    this.applying.add(applying);
    const applied = await applying.finally(() => this.applying.delete(applying));
    if (!applied) return;
    const progress = this.progress.get(key);
    if (progress) progress.highWatermark = BigInt(batch.highWatermark);
    payload.resolveOffset(messages[messages.length - 1]!.offset);
    this.counters.batches++;
    await payload.commitOffsetsIfNecessary().catch(() => undefined);
    this.emit('batch', { topic: batch.topic, partition: batch.partition, count: messages.length });
  }

  /** The batch into the store (one transaction, or one per event around a poison one); false when stopped first. */
  private async apply(
    payload: EachBatchPayload,
    topic: string,
    partition: number,
    items: Item[],
  ): Promise<boolean> {
    try {
      // Checked first (held while the source cannot answer): a bad event becomes a dead letter.
      const checked = await this.withRetry(payload, () => this.validate(topic, items));
      if (checked !== 'ok') throw checked;
      this.placeTombstones(offsetKey(topic, partition), items);
      const outcome = await this.withRetry(payload, () => this.commit(topic, partition, items));
      if (outcome !== 'ok') {
        // Some event is poison: apply one at a time so only that event is dead-lettered.
        for (const item of items) {
          const single = await this.withRetry(payload, () => this.commit(topic, partition, [item]));
          if (single !== 'ok')
            await this.withRetry(payload, () =>
              this.commit(topic, partition, [{ raw: item.raw, error: single }]),
            );
        }
      }
      return true;
    } catch (err) {
      if (err instanceof Stopping) return false;
      throw err;
    }
  }

  /**
   * Every event against its topic's expectation (validation.ts), then the positions of those
   * still standing against the source server (source-head.ts). A failing event keeps its raw
   * record and gets the error: commit() dead-letters it and it never reaches the handler.
   * Throws a retriable error when the source cannot answer; items already judged stay judged.
   */
  private async validate(topic: string, items: Item[]): Promise<void> {
    const expect = this.expectations.get(topic);
    if (!expect) throw new ConsumerError('CDC_ERR_INVALID_OPTION', `no expectation for topic ${topic}`);
    for (const item of items) {
      if (!item.event) continue;
      const problem = checkEvent(item.event, expect, item.tombstone === true);
      if (problem) {
        item.error = problem;
        item.event = undefined;
      }
    }
    if (!this.sourceHead) return;
    const positioned = items.filter((i) => i.event?.position && !i.tombstone);
    if (positioned.length === 0) return;
    const before = this.sourceHead.reads;
    const verdicts = await this.sourceHead.check(positioned.map((i) => i.event!));
    this.counters.sourceChecks += this.sourceHead.reads - before;
    positioned.forEach((item, n) => {
      const why = verdicts[n];
      if (!why) return;
      const e = item.event!;
      const label = formatSourcePosition(e.position!);
      item.error = new ConsumerError(
        'CDC_ERR_POSITION_AHEAD',
        `${e.topic}/${e.partition}@${e.offset}: source position ${label} is ahead of the source server (${why})`,
        {
          context: {
            topic: e.topic,
            partition: e.partition,
            offset: e.offset,
            field: 'source.pos',
            expected: `a position the source has written (${why})`,
            actual: label,
          },
        },
      );
      item.event = undefined;
    });
  }

  private decode(topic: string, partition: number, m: KafkaMessage): Item {
    const raw = { topic, partition, offset: m.offset, key: m.key, value: m.value, headers: m.headers };
    try {
      const decoded = decodeRecord(raw, this.options.projection.decode);
      if (decoded.kind === 'change') return { raw, event: decoded };
      if (decoded.kind === 'tombstone' && this.options.projection.tombstones === 'delete') {
        return {
          raw,
          tombstone: true,
          event: {
            ...decoded,
            kind: 'change',
            op: Operation.DELETE,
            before: decoded.key,
            after: null,
            source: null,
            position: null,
            positionKey: null,
            db: null,
            sourceTable: null,
            unwrapped: true,
          },
        };
      }
      return { raw };
    } catch (err) {
      return { raw, error: err };
    }
  }

  /**
   * A tombstone has no value, so the delete made of it has no source position; eventPosition()
   * would fall back to its Kafka offset, and an `offset:` key sorts above every binlog key: on a
   * stream whose rows carry positions, the key's next insert would then never win over the
   * delete. A key's events are in one partition in source order, so the delete takes a position
   * just after the newest one before it on the partition (that key with `~` appended): newer than
   * the row it deletes, older than any later event. With no position before it (a stream without
   * positions), it keeps none and orders by offset like the rest.
   */
  private placeTombstones(key: string, items: Item[]): void {
    let newest = this.progress.get(key)?.positionKey ?? '';
    for (const item of items) {
      const event = item.event;
      if (!event) continue;
      if (item.tombstone) {
        if (newest) item.event = { ...event, positionKey: `${newest}~` };
      } else if (event.positionKey && event.positionKey > newest) newest = event.positionKey;
    }
  }

  /** Dead letters first (at-least-once into the DLQ), then events and offsets in one transaction. */
  private async commit(topic: string, partition: number, items: Item[]): Promise<void> {
    const letters: DeadLetter[] = items
      .filter((i) => i.error)
      .map((i) => ({ record: i.raw, error: i.error, projection: this.options.projection.name }));
    // A retried or split batch must not dead-letter the same record twice.
    const fresh = letters.filter((l) => !this.lettered.has(`${topic}:${partition}:${l.record.offset}`));
    await sendDeadLetters(this.producer, fresh, this.dlqTopic);
    for (const l of fresh) this.lettered.add(`${topic}:${partition}:${l.record.offset}`);
    const events = items.flatMap((i) => (i.event ? [i.event] : []));
    const key = offsetKey(topic, partition);
    const previous = this.progress.get(key);
    const next: StoredOffset = {
      topic,
      partition,
      nextOffset: BigInt(items[items.length - 1]!.raw.offset) + 1n,
      positionKey: previous?.positionKey ?? '',
      positionLabel: previous?.positionLabel ?? '',
      sourceTsMs: previous?.sourceTsMs ?? null,
    };
    for (const e of events) {
      if (e.positionKey && e.position && e.positionKey >= next.positionKey) {
        next.positionKey = e.positionKey;
        next.positionLabel = formatSourcePosition(e.position);
        next.sourceTsMs = e.position.tsMs;
      }
    }
    const projection = this.options.projection;
    await this.options.knex.transaction(async (trx) => {
      if (events.length > 0) {
        if (projection.handleBatch) await projection.handleBatch(events, trx);
        else for (const e of events) await projection.handle!(e, trx);
      }
      await saveOffsets(trx, this.options.groupId, [next]);
    });
    for (const l of letters) this.lettered.delete(`${topic}:${partition}:${l.record.offset}`);
    this.progress.set(key, {
      ...next,
      highWatermark: previous?.highWatermark ?? null,
      appliedAtMs: Date.now(),
    });
    this.counters.applied += events.length;
    this.counters.ignored += items.length - events.length - letters.length;
    this.counters.deadLettered += letters.length;
    for (const l of letters) {
      const code = String((l.error as { code?: unknown })?.code ?? 'UNKNOWN');
      this.counters.deadLetteredByReason[code] = (this.counters.deadLetteredByReason[code] ?? 0) + 1;
    }
    if (letters.length > 0)
      this.log.warn(
        {
          topic,
          partition,
          letters: letters.map((l) => ({
            offset: l.record.offset,
            code: (l.error as { code?: unknown })?.code,
            message: String((l.error as Error)?.message ?? l.error).slice(0, 300),
          })),
        },
        'dead-lettered',
      );
  }

  /** 'ok', or the poison error; transient failures are retried until they pass or the runner stops. */
  private async withRetry(payload: EachBatchPayload, fn: () => Promise<void>): Promise<'ok' | unknown> {
    const { baseMs = 100, capMs = 5000, maxUnknownAttempts = 5 } = this.options.retry ?? {};
    for (let attempt = 0; ; attempt++) {
      try {
        await fn();
        return 'ok';
      } catch (err) {
        const verdict = classify(err);
        if (verdict === 'poison' || (verdict === 'unknown' && attempt + 1 >= maxUnknownAttempts)) return err;
        if (this.stopping || !payload.isRunning()) throw new Stopping();
        this.counters.retries++;
        this.lastError = String((err as Error)?.message ?? err);
        const wait = backoffMs(attempt, baseMs, capMs);
        // First failure in full; repeats as one line each (an outage can last minutes).
        const code = (err as { code?: unknown })?.code;
        if (attempt === 0) this.log.warn({ err, wait }, 'apply failed; retrying');
        else
          this.log.warn(
            { code, message: this.lastError.slice(0, 200), attempt, wait },
            'apply still failing; retrying',
          );
        await sleep(wait);
        await payload.heartbeat().catch(() => undefined);
      }
    }
  }
}
