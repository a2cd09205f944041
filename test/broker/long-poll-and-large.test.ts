import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../cdc/broker/test-broker.ts';
import { int32, kafkaClient, kString, RawClient, uniqueName, until } from './support.ts';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker({ env: { BROKER_MAX_BATCH_BYTES: String(3 * 1024 * 1024) } });
});
afterAll(async () => {
  await broker?.stop();
});

describe('long-poll fetch', () => {
  it('a parked fetch returns within 20 ms of a produce, not at max wait', async () => {
    const kafka = kafkaClient(broker.brokers);
    const topic = uniqueName('lp');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    await admin.disconnect();
    const consumer = kafka.consumer({ groupId: uniqueName('g'), maxWaitTimeInMs: 5000 });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const arrivals: number[] = [];
    const joined = new Promise<void>((r) => consumer.on(consumer.events.GROUP_JOIN, () => r()));
    await consumer.run({
      eachMessage: async () => {
        arrivals.push(performance.now());
      },
    });
    await joined;
    const producer = kafka.producer();
    await producer.connect();
    const lags: number[] = [];
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 400)); // let the consumer park its next fetch
      // The produce is acknowledged only after fsync; the fetch is woken at append time, so
      // measure from the moment the request leaves.
      const t0 = performance.now();
      const sent = producer.send({ topic, messages: [{ value: `m${i}` }] });
      await until('message delivered', () => arrivals.length > i, 5000);
      lags.push(arrivals[i]! - t0);
      await sent;
    }
    await producer.disconnect();
    await consumer.disconnect();
    // Median of five, so one scheduling hiccup on a shared machine does not decide it.
    const median = [...lags].sort((a, b) => a - b)[2]!;
    expect(median).toBeLessThan(20);
    expect(Math.max(...lags)).toBeLessThan(1000); // never waited for max_wait (5 s)
  });

  it('one produce wakes 50 fetches parked on the same partition', async () => {
    const topic = uniqueName('wake50');
    const admin = kafkaClient(broker.brokers).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    await admin.disconnect();
    // Fetch v4 at offset 0 (the high watermark of the empty partition), max wait 10 s.
    const body = Buffer.concat([
      int32(-1),
      int32(10_000),
      int32(1),
      int32(1 << 20),
      Buffer.from([1]),
      int32(1),
      kString(topic),
      int32(1),
      int32(0),
      Buffer.alloc(8),
      int32(1 << 20),
    ]);
    const clients = await Promise.all(Array.from({ length: 50 }, () => RawClient.connect(broker.port)));
    const answers = clients.map((c, i) => c.request(1, 4, i, body).then(() => performance.now()));
    await new Promise((r) => setTimeout(r, 300)); // all parked
    const producer = kafkaClient(broker.brokers).producer();
    await producer.connect();
    const t0 = performance.now();
    await producer.send({ topic, messages: [{ value: 'wake' }] });
    const times = await Promise.all(answers);
    await producer.disconnect();
    for (const c of clients) c.close();
    expect(Math.max(...times) - t0).toBeLessThan(1000); // woken by the produce, not the 10 s timer
  });

  it('an idle fetch is answered at max wait without errors', async () => {
    const kafka = kafkaClient(broker.brokers);
    const topic = uniqueName('idle');
    const consumer = kafka.consumer({ groupId: uniqueName('g'), maxWaitTimeInMs: 300 });
    let fetches = 0;
    let errors = 0;
    consumer.on(consumer.events.FETCH, () => fetches++);
    consumer.on(consumer.events.REQUEST_TIMEOUT, () => errors++);
    consumer.on(consumer.events.CRASH, () => errors++);
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ eachMessage: async () => {} });
    await until('several empty fetch rounds', () => fetches >= 5, 10_000);
    await consumer.disconnect();
    expect(errors).toBe(0);
  });
});

describe('large messages', () => {
  it('two 1 MiB values in one batch come back intact to a consumer with 1 MiB partition limit', async () => {
    const kafka = kafkaClient(broker.brokers);
    const topic = uniqueName('big');
    const producer = kafka.producer();
    await producer.connect();
    const a = Buffer.alloc(1024 * 1024, 97);
    const b = Buffer.alloc(1024 * 1024, 98);
    await producer.send({
      topic,
      messages: [
        { value: a, partition: 0 },
        { value: b, partition: 0 },
      ],
    });
    const consumer = kafka.consumer({
      groupId: uniqueName('g'),
      maxWaitTimeInMs: 200,
      maxBytesPerPartition: 1024 * 1024,
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const got: Buffer[] = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        got.push(message.value!);
      },
    });
    await until('both values', () => got.length === 2);
    await consumer.disconnect();
    expect(got[0]!.equals(a)).toBe(true);
    expect(got[1]!.equals(b)).toBe(true);

    // Above BROKER_MAX_BATCH_BYTES (3 MiB here): MESSAGE_TOO_LARGE, not retried, nothing stored.
    await expect(
      producer.send({ topic, messages: [{ value: Buffer.alloc(4 * 1024 * 1024, 99), partition: 1 }] }),
    ).rejects.toMatchObject({ type: 'MESSAGE_TOO_LARGE' });
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    await producer.disconnect();
    expect(offsets.find((o) => o.partition === 1)!.high).toBe('0');
  });
});
