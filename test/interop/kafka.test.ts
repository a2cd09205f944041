import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaProducer } from '../../cdc/connector/kafka-client/producer.ts';
import { keyPartitioner, partitionForKey } from '../../cdc/connector/partitioner.ts';
import { type KafkaCluster, startKafka } from '../../scripts/interop/kafka.ts';
import { createTopic, leaderOf, readTopic, seqsByKey, unique } from './support.ts';

/**
 * Apache Kafka 4 (KRaft) as real JVMs: kafkajs and the connector's own producer against one
 * broker and against three, with a partition leader SIGKILLed in the middle of a produce loop
 * at acks=-1: every acknowledged message is there afterwards, in order per key.
 */

const messagesOf = (from: number, count: number, keys: number) =>
  Array.from({ length: count }, (_, i) => {
    const seq = from + i;
    return { key: `k${seq % keys}`, value: JSON.stringify({ seq }) };
  });

describe('one KRaft broker', () => {
  let kafka: KafkaCluster;
  beforeAll(async () => {
    kafka = await startKafka({ nodes: 1 });
    console.log(`kafka 1 node: format ${kafka.startupMs.format} ms, ready ${kafka.startupMs.ready} ms`);
  });
  afterAll(async () => {
    await kafka?.stop();
  });

  it('kafkajs produces and consumes: every message, keys kept, order per partition', async () => {
    const topic = unique('interop.single');
    await createTopic(kafka.brokers, topic, 3);
    const producer = new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    for (let i = 0; i < 1000; i += 100)
      await producer.send({ topic, acks: -1, messages: messagesOf(i, 100, 17) });
    await producer.disconnect();
    const reads = await readTopic(kafka.brokers, topic, (r) => r.length >= 1000);
    expect(reads).toHaveLength(1000);
    const byKey = seqsByKey(reads);
    expect(byKey.size).toBe(17);
    for (const seqs of byKey.values()) expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });
});

describe('a three-broker KRaft cluster (RF 3, min.insync.replicas 2)', () => {
  let kafka: KafkaCluster;
  beforeAll(async () => {
    kafka = await startKafka({
      nodes: 3,
      // A killed broker is fenced after 3 s instead of Kafka's 9 s, so a test waits less for
      // leadership to move; the mechanism is the same.
      properties: { 'broker.session.timeout.ms': '3000', 'broker.heartbeat.interval.ms': '500' },
    });
    console.log(`kafka 3 nodes: format ${kafka.startupMs.format} ms, ready ${kafka.startupMs.ready} ms`);
  });
  afterAll(async () => {
    await kafka?.stop();
  });

  /** SIGKILLs the leader of `topic`/0 once `at` messages were acknowledged; brings it back after. */
  async function produceThroughAKill(
    topic: string,
    total: number,
    batch: number,
    send: (messages: Array<{ key: string; value: string }>) => Promise<void>,
  ): Promise<{ acknowledged: number; killed: number }> {
    let acknowledged = 0;
    let killed = -1;
    for (let i = 0; i < total; i += batch) {
      if (killed < 0 && i >= total / 3) {
        const leader = await leaderOf(kafka, topic, 0);
        killed = leader.id;
        await leader.kill();
      }
      await send(messagesOf(i, batch, 20));
      acknowledged += batch;
    }
    const node = kafka.nodes.find((n) => n.id === killed)!;
    await node.start();
    await kafka.waitForBrokers(3);
    return { acknowledged, killed };
  }

  function expectAllInOrder(reads: Awaited<ReturnType<typeof readTopic>>, total: number) {
    const byKey = seqsByKey(reads);
    const seqs = [...byKey.values()].flat().sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: total }, (_, i) => i));
    for (const [key, list] of byKey) expect(list, `order of ${key}`).toEqual([...list].sort((a, b) => a - b));
  }

  it('kafkajs at acks=-1 loses nothing when a partition leader is SIGKILLed mid-loop', async () => {
    const topic = unique('interop.kafkajs-kill');
    await createTopic(kafka.brokers, topic, 3);
    const producer = new Kafka({
      brokers: kafka.brokers,
      logLevel: logLevel.NOTHING,
      retry: { retries: 12, initialRetryTime: 200, maxRetryTime: 3000 },
    }).producer({ maxInFlightRequests: 1 });
    await producer.connect();
    const total = 1500;
    const { acknowledged, killed } = await produceThroughAKill(topic, total, 50, async (messages) => {
      await producer.send({ topic, acks: -1, messages });
    });
    await producer.disconnect();
    expect(killed).toBeGreaterThan(0);
    expect(acknowledged).toBe(total);
    expectAllInOrder(
      await readTopic(kafka.brokers, topic, (r) => new Set(r.map((x) => x.value)).size >= total),
      total,
    );
  });

  it("the connector's KafkaProducer at acks=-1 loses nothing and keeps order per key through a leader kill", async () => {
    const topic = unique('interop.connector-kill');
    await createTopic(kafka.brokers, topic, 3);
    const producer = new KafkaProducer({
      brokers: kafka.brokers,
      clientId: 'interop-connector-producer',
      partitioner: keyPartitioner(),
      allowAutoTopicCreation: false,
      retry: { retries: 12, initialRetryTimeMs: 200, maxRetryTimeMs: 3000 },
    });
    await producer.connect();
    const total = 1500;
    const { acknowledged, killed } = await produceThroughAKill(topic, total, 50, (messages) =>
      producer.send({
        topicMessages: [{ topic, messages }],
        acks: -1,
        timeoutMs: 10_000,
        compression: 'none',
      }),
    );
    await producer.disconnect();
    expect(killed).toBeGreaterThan(0);
    expect(acknowledged).toBe(total);
    const reads = await readTopic(kafka.brokers, topic, (r) => new Set(r.map((x) => x.value)).size >= total);
    expectAllInOrder(reads, total);
    // Its murmur2 partitioner agrees with Kafka's default (what Java clients and Debezium use).
    for (const r of reads) expect(r.partition).toBe(partitionForKey(r.key as string, 3));
  });
});
