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

// The target-independent kafkajs round trips (keys, headers, seek, the admin calls) are in the
// shared client suite (client-suite.ts), run against this broker and Apache Kafka alike; what
// stays here is this broker's own decision.
describe('kafkajs against this broker only', () => {
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
});
