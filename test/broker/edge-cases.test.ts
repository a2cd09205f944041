import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../cdc/broker/test-broker.ts';
import { repoRoot } from '../../lib/component-process.ts';
import { int32, kafkaClient, kString, RawClient, uniqueName, until } from './support.ts';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.stop();
});

describe('edge cases', () => {
  it('a member that crashes (SIGKILL, no LeaveGroup) is dropped after its session timeout', async () => {
    const kafka = kafkaClient(broker.brokers);
    const topic = uniqueName('crashm');
    const groupId = uniqueName('g');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] });
    await admin.disconnect();
    const tsx = path.join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs');
    const child = spawn(
      process.execPath,
      [tsx, 'test/broker/fixtures/group-member.ts', broker.brokers[0]!, topic, groupId],
      {
        cwd: repoRoot,
      },
    );
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    try {
      await until('crash-to-be member joined', () => out.includes('assigned 0,1,2'), 30_000);
      const b = kafka.consumer({
        groupId,
        sessionTimeout: 6000,
        heartbeatInterval: 300,
        maxWaitTimeInMs: 300,
      });
      let owned: number[] = [];
      b.on(b.events.GROUP_JOIN, (e) => {
        owned = (Object.values(e.payload.memberAssignment).flat() as number[]).sort();
      });
      await b.connect();
      await b.subscribe({ topics: [topic], fromBeginning: true });
      await b.run({ eachMessage: async () => {} });
      await until('split between the two', () => owned.length > 0 && owned.length < 3, 30_000);
      // tsx runs the script in a child of its CLI: kill that whole process group's leaf.
      const { execFileSync } = await import('node:child_process');
      const leaf = execFileSync('pgrep', ['-P', String(child.pid)])
        .toString()
        .trim()
        .split('\n');
      for (const pid of leaf) process.kill(Number(pid), 'SIGKILL');
      child.kill('SIGKILL');
      const killedAt = Date.now();
      await until('survivor owns everything', () => owned.length === 3, 30_000);
      const took = Date.now() - killedAt;
      expect(took).toBeGreaterThan(3000); // waited for the 6 s session timeout, not instant
      expect(took).toBeLessThan(15_000);
      await b.disconnect();
    } finally {
      child.kill('SIGKILL');
    }
  }, 90_000);

  it('OFFSET_OUT_OF_RANGE: a committed offset past the end makes kafkajs reset and read from the start', async () => {
    const kafka = kafkaClient(broker.brokers);
    const topic = uniqueName('oor');
    const groupId = uniqueName('g');
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: ['a', 'b', 'c'].map((value) => ({ value, partition: 0 })) });
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic }] }); // exists already: false, no error
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '100' }] });
    await admin.disconnect();
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const got: string[] = [];
    await consumer.run({
      eachMessage: async ({ message, partition }) => {
        if (partition === 0) got.push(`${message.offset}:${message.value}`);
      },
    });
    await until('reset and re-read', () => got.length === 3);
    await consumer.disconnect();
    expect(got).toEqual(['0:a', '1:b', '2:c']);
  });

  it('acks=0 gets no response frame and the message is still stored', async () => {
    const kafka = kafkaClient(broker.brokers);
    const topic = uniqueName('acks0');
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'warm', partition: 0 }] }); // creates the topic
    await producer.send({ topic, acks: 0, messages: [{ value: 'fire-and-forget', partition: 0 }] });
    const admin = kafka.admin();
    await admin.connect();
    let high = '0';
    for (let i = 0; i < 40 && high !== '2'; i++) {
      high = (await admin.fetchTopicOffsets(topic)).find((o) => o.partition === 0)!.high;
      if (high !== '2') await new Promise((r) => setTimeout(r, 50));
    }
    expect(high).toBe('2');
    await admin.disconnect();
    await producer.disconnect();
  });

  it('deleting a topic answers fetches parked on it (UNKNOWN_TOPIC_OR_PARTITION) and forgets its committed offsets', async () => {
    const kafka = kafkaClient(broker.brokers);
    const topic = uniqueName('del');
    const groupId = uniqueName('g');
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'x', partition: 0 }] });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let seen = 0;
    await consumer.run({
      eachMessage: async () => {
        seen++;
      },
    });
    await until('consumed', () => seen === 1);
    await consumer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    expect((await admin.fetchOffsets({ groupId })).map((t) => t.topic)).toEqual([topic]);
    // A raw Fetch v4 parked at the high watermark (offset 1) with a 10 s max wait.
    const raw = await RawClient.connect(broker.port);
    const fetchBody = Buffer.concat([
      int32(-1),
      int32(10_000),
      int32(1),
      int32(1 << 20),
      Buffer.from([1]),
      int32(1),
      kString(topic),
      int32(1),
      int32(0),
      Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]),
      int32(1 << 20),
    ]);
    const parkedAt = Date.now();
    const parked = raw.request(1, 4, 5, fetchBody);
    await new Promise((r) => setTimeout(r, 200));
    await admin.deleteTopics({ topics: [topic] });
    const answer = await parked;
    expect(Date.now() - parkedAt).toBeLessThan(5000);
    // throttle, responses[1], topic, partitions[1], partition, error_code
    const errorAt = 4 + 4 + 4 + 2 + Buffer.byteLength(topic) + 4 + 4;
    expect(answer.readInt16BE(errorAt)).toBe(3);
    raw.close();
    expect(await admin.listTopics()).not.toContain(topic);
    expect(await admin.fetchOffsets({ groupId })).toEqual([]);
    await expect(admin.deleteTopics({ topics: [topic], timeout: 1000 })).rejects.toBeDefined();
    await admin.disconnect();
  });
});

describe('offsets', () => {
  it('round-trips commit metadata and negative offsets verbatim; ListOffsets finds offsets by timestamp', async () => {
    const kafka = kafkaClient(broker.brokers);
    const topic = uniqueName('meta');
    const groupId = uniqueName('g');
    const producer = kafka.producer();
    await producer.connect();
    const t0 = Date.now();
    await producer.send({
      topic,
      messages: [{ value: 'old', partition: 0, timestamp: String(t0 - 60_000) }],
    });
    await producer.send({ topic, messages: [{ value: 'new', partition: 0, timestamp: String(t0) }] });
    await producer.disconnect();

    // A raw OffsetCommit v2 (standalone: generation -1, no member) with metadata, and -2.
    const raw = await RawClient.connect(broker.port);
    const commit = Buffer.concat([
      kString(groupId),
      int32(-1),
      kString(''),
      Buffer.from('ffffffffffffffff', 'hex'),
      int32(1),
      kString(topic),
      int32(2),
      int32(0),
      Buffer.from('0000000000000001', 'hex'),
      kString('cursor=abc'),
      int32(1),
      Buffer.from('fffffffffffffffe', 'hex'),
      kString(''),
    ]);
    const committed = await raw.request(8, 2, 1, commit);
    const errorAt = 4 + 4 + 2 + Buffer.byteLength(topic) + 4 + 4;
    expect(committed.readInt16BE(errorAt)).toBe(0);
    raw.close();

    const admin = kafka.admin();
    await admin.connect();
    const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const byPartition = Object.fromEntries(t!.partitions.map((p) => [p.partition, p]));
    expect(byPartition[0]).toMatchObject({ offset: '1', metadata: 'cursor=abc' });
    expect(byPartition[1]!.offset).toBe('-2');
    expect(byPartition[2]!.offset).toBe('-1'); // never committed

    const [byTime] = await admin.fetchTopicOffsetsByTimestamp(topic, t0 - 1000);
    expect(byTime).toMatchObject({ partition: 0, offset: '1' });
    const [beforeAll] = await admin.fetchTopicOffsetsByTimestamp(topic, t0 - 120_000);
    expect(beforeAll!.offset).toBe('0');
    await admin.disconnect();
  });
});
