import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { expect } from 'vitest';
import { waitFor } from '../../lib/net.ts';
import type { KafkaCluster, KafkaNode } from '../../scripts/interop/kafka.ts';
import { type CliRun, runCli } from '../e2e/system-fixture.ts';

export const unique = (p: string) => `${p}-${Math.random().toString(36).slice(2, 8)}`;

export interface Read {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  /** The bytes as Kafka holds them, for decoders that take bytes. */
  keyBytes: Buffer | null;
  valueBytes: Buffer | null;
}

/**
 * Reads a topic from the beginning with a kafkajs group consumer until `done(reads)` holds (or
 * the timeout names how far it got), then a short while longer so duplicates show too.
 */
export async function readTopic(
  brokers: readonly string[],
  topic: string,
  done: (reads: Read[]) => boolean,
  timeoutMs = 60_000,
): Promise<Read[]> {
  const consumer = new Kafka({
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
    clientId: 'interop-reader',
  }).consumer({
    groupId: unique('interop-reader'),
    maxWaitTimeInMs: 100,
  });
  const reads: Read[] = [];
  const seen = new Set<string>();
  await waitForTopic(brokers, topic, timeoutMs);
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        // A rebalance re-delivers what the group had not committed yet: one read per offset.
        const at = `${partition}/${message.offset}`;
        if (seen.has(at)) return;
        seen.add(at);
        reads.push({
          partition,
          offset: message.offset,
          key: message.key?.toString('utf8') ?? null,
          value: message.value?.toString('utf8') ?? null,
          keyBytes: message.key,
          valueBytes: message.value,
        });
      },
    });
    const deadline = Date.now() + timeoutMs;
    while (!done(reads)) {
      if (Date.now() > deadline)
        throw new Error(`read ${reads.length} messages of ${topic} in ${timeoutMs} ms`);
      await sleep(100);
    }
    await sleep(500);
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
  return reads;
}

/** Waits until `topic` exists with a leader for each partition (a connector creates it on its first event). */
export async function waitForTopic(
  brokers: readonly string[],
  topic: string,
  timeoutMs = 60_000,
): Promise<void> {
  const admin = new Kafka({ brokers: [...brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await waitFor(
      `topic ${topic}`,
      async () => {
        const md = await admin.fetchTopicMetadata({ topics: [topic] });
        if (md.topics[0]!.partitions.some((p) => p.leader < 0)) throw new Error('no leader yet');
      },
      { timeoutMs, intervalMs: 200 },
    );
  } finally {
    await admin.disconnect();
  }
}

/** The node that leads `partition` of `topic` now, from the cluster's metadata. */
export async function leaderOf(cluster: KafkaCluster, topic: string, partition: number): Promise<KafkaNode> {
  const admin = new Kafka({ brokers: [...cluster.brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const md = await admin.fetchTopicMetadata({ topics: [topic] });
    const leader = md.topics[0]?.partitions.find((p) => p.partitionId === partition)?.leader;
    const node = cluster.nodes.find((n) => n.id === leader);
    if (!node) throw new Error(`no leader for ${topic}/${partition} (metadata says ${leader})`);
    return node;
  } finally {
    await admin.disconnect();
  }
}

export async function createTopic(
  brokers: readonly string[],
  topic: string,
  numPartitions: number,
  replicationFactor = -1,
): Promise<void> {
  const admin = new Kafka({ brokers: [...brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions, replicationFactor }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/**
 * Per key, the sequence numbers in the order they were read, duplicates (a retried batch that
 * had landed) dropped after their first read: order per key holds when each list ascends.
 */
export function seqsByKey(reads: Read[]): Map<string, number[]> {
  const byKey = new Map<string, number[]>();
  const seen = new Set<number>();
  for (const r of reads) {
    const seq = Number(JSON.parse(r.value as string).seq);
    if (seen.has(seq)) continue;
    seen.add(seq);
    const list = byKey.get(r.key as string) ?? [];
    list.push(seq);
    byKey.set(r.key as string, list);
  }
  return byKey;
}

/**
 * Reads several topics from the beginning with one kafkajs group consumer until `done(reads)`
 * holds for the map of reads by topic (or the timeout names how far it got), then a short while
 * longer so duplicates show too. One group join instead of one per topic.
 */
export async function readTopics(
  brokers: readonly string[],
  topics: readonly string[],
  done: (reads: Map<string, Read[]>) => boolean,
  timeoutMs = 60_000,
): Promise<Map<string, Read[]>> {
  const reads = new Map<string, Read[]>(topics.map((t) => [t, []]));
  const deadline = Date.now() + timeoutMs;
  await Promise.all(topics.map((t) => waitForTopic(brokers, t, timeoutMs)));
  const consumer = new Kafka({
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
    clientId: 'interop-reader',
  }).consumer({ groupId: unique('interop-reader'), maxWaitTimeInMs: 100 });
  const seen = new Set<string>();
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const at = `${topic}/${partition}/${message.offset}`;
        if (seen.has(at)) return;
        seen.add(at);
        reads.get(topic)!.push({
          partition,
          offset: message.offset,
          key: message.key?.toString('utf8') ?? null,
          value: message.value?.toString('utf8') ?? null,
          keyBytes: message.key,
          valueBytes: message.value,
        });
      },
    });
    while (!done(reads)) {
      if (Date.now() > deadline)
        throw new Error(
          `read ${[...reads].map(([t, r]) => `${r.length} of ${t}`).join(', ')} in ${timeoutMs} ms`,
        );
      await sleep(100);
    }
    await sleep(500);
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
  return reads;
}

/**
 * `strangler rehearse products` as a user runs it, in short steps (4 s windows, one 25 % canary
 * step), expected to pass every stage. The latency gate's arithmetic has unit tests; here what
 * feeds it (real Kafka, Debezium, Unleash) counts, so its ratio is wide.
 */
export async function rehearseProductsToCutover(env: NodeJS.ProcessEnv, reports: string): Promise<CliRun> {
  const run = await runCli(
    [
      'rehearse',
      'products',
      '--step-duration',
      '4s',
      '--bake',
      '4s',
      '--steps',
      '25',
      '--shadow-requests',
      '60',
      '--parity-requests',
      '30',
      '--rate',
      '40',
      '--max-p99-ratio',
      '20',
      // 4 s windows: as test/e2e/rehearse.test.ts, the evidence minimum fits the short steps
      '--min-comparisons',
      '5',
      '--reports',
      reports,
    ],
    env,
  );
  const verdicts = run.stdout
    .split('\n')
    .filter((l) => / — (PASS|FAIL|skip) \(/.test(l))
    .map((l) => l.replace(/ \(\d+\.\d s\)$/, ''));
  expect(run.stderr).not.toMatch(/Error|REHEARSE_ERR|PROXY_ERR/);
  expect(verdicts, run.stdout).toEqual([
    '[products] stage 0 · legacy only — PASS',
    '[products] stage 1 · proxy in front — PASS',
    '[products] stage 2 · backfill — PASS',
    '[products] stage 3 · shadow — PASS',
    '[products] stage 4 · canary 25 % — PASS',
    '[products] stage 5 · cutover 100 % — PASS',
    '[products] stage 6 · done — PASS',
  ]);
  expect(run.code).toBe(0);
  return run;
}
