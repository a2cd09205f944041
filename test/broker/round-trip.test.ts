import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../cdc/broker/test-broker.ts';
import { kafkaClient, uniqueName } from './support.ts';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.stop();
});

describe('kafkajs produce/consume round trip', () => {
  it('delivers keys, values and headers in order with broker-assigned offsets', async () => {
    const kafka = kafkaClient(broker.brokers);
    const topic = uniqueName('rt');
    const producer = kafka.producer();
    await producer.connect();
    const first = await producer.send({
      topic,
      messages: [
        { key: 'k1', value: 'v1', partition: 0, headers: { h: 'x' } },
        { key: 'k2', value: 'v2', partition: 0 },
      ],
    });
    const second = await producer.send({ topic, messages: [{ key: 'k3', value: null, partition: 0 }] });
    expect(first[0]).toMatchObject({ partition: 0, errorCode: 0, baseOffset: '0' });
    expect(second[0]).toMatchObject({ partition: 0, baseOffset: '2' });

    const consumer = kafka.consumer({ groupId: uniqueName('g'), maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const got: Array<{ offset: string; key: string; value: string | null; h?: string }> = [];
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          got.push({
            offset: message.offset,
            key: message.key!.toString(),
            value: message.value?.toString() ?? null,
            h: message.headers?.h?.toString(),
          });
          if (got.length === 3) resolve();
        },
      });
    });
    await consumer.disconnect();
    await producer.disconnect();
    expect(got).toEqual([
      { offset: '0', key: 'k1', value: 'v1', h: 'x' },
      { offset: '1', key: 'k2', value: 'v2', h: undefined },
      { offset: '2', key: 'k3', value: null, h: undefined },
    ]);
  });

  it('seek lands inside a stored batch: eachBatch gets the rest of it from the sought offset', async () => {
    const kafka = kafkaClient(broker.brokers);
    const topic = uniqueName('seek');
    const producer = kafka.producer();
    await producer.connect();
    // One send = one stored batch holding offsets 0..9.
    await producer.send({
      topic,
      messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}`, partition: 0 })),
    });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: uniqueName('g'), maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const offsets: string[] = [];
    await consumer.run({
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        for (const m of batch.messages) {
          if (batch.partition !== 0) continue;
          offsets.push(m.offset);
          resolveOffset(m.offset);
        }
        await heartbeat();
      },
    });
    consumer.seek({ topic, partition: 0, offset: '6' });
    const deadline = Date.now() + 10_000;
    while (!offsets.includes('9') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    await consumer.disconnect();
    // The seek may land before or after a first delivery; after it, 6..9 and nothing earlier.
    const afterSeek = offsets.slice(offsets.lastIndexOf('6'));
    expect(afterSeek).toEqual(['6', '7', '8', '9']);
  });

  it('auto-creates produced topics with the default 3 partitions; admin lookups create nothing', async () => {
    const kafka = kafkaClient(broker.brokers);
    const admin = kafka.admin();
    await admin.connect();
    const topic = uniqueName('auto');
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'x' }] });
    await producer.disconnect();
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(meta.topics[0]!.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
    const typo = uniqueName('typo');
    await expect(admin.fetchTopicMetadata({ topics: [typo] })).rejects.toMatchObject({
      type: 'UNKNOWN_TOPIC_OR_PARTITION',
    });
    expect(await admin.listTopics()).not.toContain(typo);
    await admin.disconnect();
  });

  it('serves the kafkajs admin calls: create, metadata, offsets, groups, delete', async () => {
    const kafka = kafkaClient(broker.brokers);
    const admin = kafka.admin();
    await admin.connect();
    const topic = uniqueName('adm');
    const other = uniqueName('adm-default');
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] })).toBe(true);
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] })).toBe(false);
    expect(await admin.createTopics({ topics: [{ topic: other }] })).toBe(true);
    await expect(
      admin.createTopics({ topics: [{ topic: uniqueName('rf'), replicationFactor: 3 }] }),
    ).rejects.toMatchObject({ name: 'KafkaJSAggregateError' });
    expect(await admin.listTopics()).toEqual(expect.arrayContaining([topic, other]));
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(meta.topics[0]!.partitions).toHaveLength(2);
    expect(meta.topics[0]!.partitions[0]).toMatchObject({ leader: 0, replicas: [0], isr: [0] });

    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [0, 1, 2, 3].map((i) => ({ value: `m${i}`, partition: 0 })) });
    await producer.disconnect();
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.find((o) => o.partition === 0)).toMatchObject({ low: '0', high: '4', offset: '4' });
    expect(offsets.find((o) => o.partition === 1)).toMatchObject({ low: '0', high: '0' });

    const groupId = uniqueName('g-adm');
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let seen = 0;
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async () => {
          if (++seen === 4) resolve();
        },
      });
    });
    const running = await admin.describeGroups([groupId]);
    expect(running.groups[0]).toMatchObject({ state: 'Stable', protocol: 'RoundRobinAssigner' });
    expect(running.groups[0]!.members).toHaveLength(1);
    await consumer.disconnect();
    const idle = await admin.describeGroups([groupId, uniqueName('nobody')]);
    expect(idle.groups.map((g) => g.state)).toEqual(['Empty', 'Dead']);
    expect((await admin.listGroups()).groups).toContainEqual({ groupId, protocolType: 'consumer' });
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(committed[0]!.partitions.find((p) => p.partition === 0)!.offset).toBe('4');
    const all = await admin.fetchOffsets({ groupId });
    expect(all.map((t) => t.topic)).toEqual([topic]);

    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '1' }] });
    const reset = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(reset[0]!.partitions.find((p) => p.partition === 0)!.offset).toBe('1');

    await admin.deleteTopics({ topics: [other] });
    expect(await admin.listTopics()).not.toContain(other);
    await admin.disconnect();
  });
});
