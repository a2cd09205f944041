import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Consumer, Kafka, logLevel } from 'kafkajs';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../cdc/broker/test-broker.ts';
import { ConnectorError } from '../../cdc/connector/errors.ts';
import type { ProduceMessage } from '../../cdc/connector/kafka-client/produce-encoder.ts';
import { KafkaProducer, type ProducerOptions } from '../../cdc/connector/kafka-client/producer.ts';
import { keyPartitioner, partitionForKey } from '../../cdc/connector/partitioner.ts';
import { Publisher } from '../../cdc/connector/publisher.ts';
import { freePort } from '../../lib/net.ts';

/**
 * The connector's own Kafka producer against the real broker process, read back through
 * kafkajs' public consumer API: what it writes, and how it behaves when the broker is down,
 * killed mid-send, or refuses a topic.
 */
const unique = (p: string) => `${p}-${Math.random().toString(36).slice(2, 8)}`;

const producerFor = (brokers: string[], overrides: Partial<ProducerOptions> = {}) =>
  new KafkaProducer({
    brokers,
    clientId: 'kafka-client-test',
    partitioner: keyPartitioner(),
    allowAutoTopicCreation: true,
    retry: { retries: 5, initialRetryTimeMs: 200, maxRetryTimeMs: 5000 },
    ...overrides,
  });

interface Read {
  partition: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

/** Reads `count` messages of `topics` from the beginning with a kafkajs consumer. */
async function readAll(brokers: string[], topics: string[], count: number): Promise<Map<string, Read[]>> {
  const kafka = new Kafka({ clientId: 'reader', brokers, logLevel: logLevel.NOTHING });
  const consumer: Consumer = kafka.consumer({ groupId: unique('reader') });
  const got = new Map<string, Read[]>(topics.map((t) => [t, []]));
  let total = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ topic, partition, message }) => {
          got.get(topic)?.push({
            partition,
            key: message.key?.toString() ?? null,
            value: message.value?.toString() ?? null,
            headers: Object.fromEntries(
              Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
            ),
          });
          if (++total >= count) resolve();
        },
      });
    });
    await Promise.race([
      done,
      sleep(30_000).then(() => {
        throw new Error(`read ${total} of ${count} messages`);
      }),
    ]);
    await sleep(300); // anything beyond `count` (duplicates) arrives too
  } finally {
    await consumer.disconnect();
  }
  return got;
}

describe("the connector's Kafka producer against the broker", () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker({
      env: { BROKER_DEFAULT_PARTITIONS: '3', BROKER_MAX_BATCH_BYTES: '4096' },
    });
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('gzip batches a kafkajs consumer reads back: keys, framed values, headers, murmur2 partitions, order', async () => {
    const producer = producerFor(broker.brokers);
    await producer.connect();
    const [a, b] = [unique('client.a'), unique('client.b')];
    const headers = { '__debezium.context.taskId': '0', 'ü-header': 'é😀' };
    const sent = (topic: string, n: number, from: number): ProduceMessage[] =>
      Array.from({ length: n }, (_, i) => ({
        key: (from + i) % 7 === 0 ? null : `{"id":${(from + i) % 40}}`,
        value: {
          head: Buffer.from('{"schema":1,"payload":'),
          body: `{"seq":${from + i},"t":"${topic}"}`,
          tail: Buffer.from('}'),
        },
        headers,
      }));
    try {
      // Small batches: the broker refuses any above 4 KiB; compressed, these stay below.
      for (let i = 0; i < 400; i += 100) {
        await producer.send({
          topicMessages: [
            { topic: a, messages: sent(a, 100, i) },
            { topic: b, messages: sent(b, 5, i) },
          ],
          acks: -1,
          timeoutMs: 30_000,
          compression: 'gzip',
        });
      }
      expect(producer.partitionCount(a)).toBe(3);
      const got = await readAll(broker.brokers, [a, b], 420);
      expect(got.get(a)).toHaveLength(400);
      expect(got.get(b)).toHaveLength(20);
      for (const [topic, reads] of got) {
        for (const r of reads) {
          expect(r.headers).toEqual(headers);
          const seq = JSON.parse(r.value as string).payload.seq as number;
          expect(JSON.parse(r.value as string)).toEqual({ schema: 1, payload: { seq, t: topic } });
          if (r.key !== null) expect(r.partition).toBe(partitionForKey(r.key, 3));
        }
        for (const p of [0, 1, 2]) {
          const seqs = reads
            .filter((r) => r.partition === p)
            .map((r) => JSON.parse(r.value as string).payload.seq);
          expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
        }
      }
    } finally {
      await producer.disconnect();
    }
  });

  it('a topic Kafka refuses fails the send at once, naming the topic and the error; a batch too large names the partition', async () => {
    const producer = producerFor(broker.brokers);
    await producer.connect();
    try {
      const started = Date.now();
      const err = await producer
        .send({
          topicMessages: [{ topic: 'no spaces allowed!', messages: [{ key: 'k', value: 'v' }] }],
          acks: -1,
          timeoutMs: 30_000,
          compression: 'none',
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectorError);
      expect(err).toMatchObject({ code: 'CONNECTOR_ERR_PRODUCE', retriable: false });
      expect((err as Error).message).toBe(
        'Kafka has no usable topic no spaces allowed!: INVALID_TOPIC_EXCEPTION (17, not retriable)',
      );
      expect(Date.now() - started).toBeLessThan(1000);

      const topic = unique('client.large');
      const tooLarge = await producer
        .send({
          topicMessages: [{ topic, messages: [{ key: 'k', value: Buffer.alloc(10_000, 1) }] }],
          acks: -1,
          timeoutMs: 30_000,
          compression: 'none',
        })
        .catch((e: unknown) => e);
      expect(tooLarge).toMatchObject({ code: 'CONNECTOR_ERR_PRODUCE', retriable: false });
      expect((tooLarge as Error).message).toBe(
        `Kafka refused the events for topic ${topic} partition ${partitionForKey('k', 3)}: MESSAGE_TOO_LARGE (10, not retriable)`,
      );
    } finally {
      await producer.disconnect();
    }
  });
});

describe('the producer and the addresses Metadata names', () => {
  it('bootstraps through one address, then reaches brokers where Metadata says they are', async () => {
    const broker = await startTestBroker();
    // A plain TCP forwarder stands for a bootstrap address that is not a broker's own (a load
    // balancer, a DNS alias); the broker advertises its real port.
    const sockets = new Set<net.Socket>();
    const forwarder = net.createServer((client) => {
      const upstream = net.connect({ host: '127.0.0.1', port: broker.port });
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => sockets.delete(s));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => forwarder.listen(0, '127.0.0.1', resolve));
    const { port } = forwarder.address() as net.AddressInfo;
    const producer = producerFor([`127.0.0.1:${port}`]);
    try {
      await producer.connect();
      // The bootstrap address goes away: metadata and produce must use the advertised one.
      await new Promise<void>((resolve) => {
        forwarder.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      const topic = unique('client.advertised');
      await producer.send({
        topicMessages: [{ topic, messages: [{ key: 'k', value: 'v' }] }],
        acks: -1,
        timeoutMs: 30_000,
        compression: 'gzip',
      });
      const got = await readAll(broker.brokers, [topic], 1);
      expect(got.get(topic)?.map((r) => r.value)).toEqual(['v']);
    } finally {
      await producer.disconnect();
      await broker.stop();
    }
  });
});

describe('the producer when the broker is away', () => {
  it('broker down at start: retries, then fails naming the broker; a broker that comes up during the retries is used', async () => {
    const port = await freePort();
    const brokers = [`127.0.0.1:${port}`];
    const quick = producerFor(brokers, {
      retry: { retries: 2, initialRetryTimeMs: 100, maxRetryTimeMs: 200 },
    });
    const err = await quick.connect().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CONNECTOR_ERR_KAFKA_CONNECTION', retriable: true });
    expect((err as Error).message).toMatch(
      new RegExp(
        `^cannot reach any Kafka broker of 127\\.0\\.0\\.1:${port} \\(Kafka broker 127\\.0\\.0\\.1:${port}: cannot connect \\(connect ECONNREFUSED`,
      ),
    );

    const patient = producerFor(brokers, {
      retry: { retries: 10, initialRetryTimeMs: 300, maxRetryTimeMs: 2000 },
    });
    const connecting = patient.connect();
    const late = await startTestBroker({ port });
    try {
      await connecting;
      await patient.send({
        topicMessages: [{ topic: unique('client.late'), messages: [{ key: 'k', value: 'v' }] }],
        acks: -1,
        timeoutMs: 30_000,
        compression: 'gzip',
      });
    } finally {
      await patient.disconnect();
      await late.stop();
    }
  });

  it('broker killed mid-send and restarted: every event arrives, per-key order kept', async () => {
    let broker = await startTestBroker({ env: { BROKER_DEFAULT_PARTITIONS: '2' } });
    const log = pino({ level: 'silent' });
    let acked = 0;
    const publisher = new Publisher(broker.brokers, {
      clientId: 'kill-test',
      maxBatch: 200,
      maxQueue: 100_000,
      log,
      compression: 'gzip',
      headers: { h: '1' },
      onCheckpoint: () => undefined,
      onAcked: (n) => {
        acked += n;
      },
    });
    const topic = unique('client.kill');
    const total = 20_000;
    try {
      await publisher.connect();
      let seq = 0;
      const pushSome = (n: number) => {
        const batch = Array.from({ length: n }, () => {
          const s = seq++;
          return { topic, key: `k${s % 50}`, value: JSON.stringify({ seq: s }) };
        });
        publisher.push(batch);
      };
      pushSome(5000);
      while (acked === 0) await sleep(5);
      await broker.kill();
      pushSome(10_000); // queued while the broker is gone
      await sleep(1500);
      broker = await broker.restart();
      pushSome(total - seq);
      await Promise.race([
        publisher.drain(),
        sleep(60_000).then(() => {
          throw new Error(`drain timed out at ${acked} acknowledged`);
        }),
      ]);
      expect(acked).toBe(total);

      const reads = (await readAll(broker.brokers, [topic], total)).get(topic) as Read[];
      const perKey = new Map<string, number[]>();
      for (const r of reads) {
        const list = perKey.get(r.key as string) ?? [];
        list.push(JSON.parse(r.value as string).seq);
        perKey.set(r.key as string, list);
      }
      const seen = new Set<number>();
      for (const [key, seqs] of perKey) {
        // A batch written just before the kill may come again (at-least-once); first
        // occurrences must still be in order.
        const first = seqs.filter((s) => !seen.has(s) && seen.add(s));
        expect(first, key).toEqual([...first].sort((x, y) => x - y));
      }
      expect(seen.size).toBe(total);
    } finally {
      await publisher.close();
      await broker.stop();
    }
  }, 120_000);
});
