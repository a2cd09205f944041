import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../cdc/broker/test-broker.ts';
import { crc32c } from '../../cdc/kafka-protocol/crc32c.ts';
import { int16, int32, kafkaClient, kString, RawClient, uniqueName, until } from './support.ts';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.stop();
});

/** One uncompressed magic-2 batch holding one record with `value`, CRC-32C filled in. */
function recordBatch(value: Buffer): Buffer {
  const record = Buffer.concat([
    Buffer.from([0, 0, 0, 1]), // attributes, timestamp delta 0, offset delta 0, key length -1 (zigzag 1)
    Buffer.from([value.length * 2]), // value length (zigzag, < 64 bytes here)
    value,
    Buffer.from([0]), // no headers
  ]);
  const body = Buffer.concat([Buffer.from([record.length * 2]), record]);
  const batch = Buffer.alloc(61 + body.length);
  batch.writeInt32BE(batch.length - 12, 8);
  batch.writeInt8(2, 16);
  batch.writeInt32BE(0, 23); // last offset delta
  batch.writeBigInt64BE(BigInt(Date.now()), 27);
  batch.writeBigInt64BE(BigInt(Date.now()), 35);
  batch.writeBigInt64BE(-1n, 43);
  batch.writeInt16BE(-1, 51);
  batch.writeInt32BE(-1, 53);
  batch.writeInt32BE(1, 57);
  body.copy(batch, 61);
  batch.writeUInt32BE(crc32c(batch, 21), 17);
  return batch;
}

function produceBody(topic: string, batch: Buffer, acks = -1): Buffer {
  return Buffer.concat([
    int16(-1), // transactional id null
    int16(acks),
    int32(30_000),
    int32(1),
    kString(topic),
    int32(1),
    int32(0), // partition 0
    int32(batch.length),
    batch,
  ]);
}

describe('golden frames', () => {
  it('ApiVersions v3 (librdkafka) gets the v0-shaped error 35 answer, byte for byte', async () => {
    const raw = await RawClient.connect(broker.port);
    const kcatFrame = Buffer.from(
      '000000240012000300000001000772646b61666b6100' + '0b6c696272646b61666b6106322e302e3200',
      'hex',
    );
    const answer = await raw.send(kcatFrame);
    expect(answer.toString('hex')).toBe('00000001' + '0023' + '00000001' + '0012' + '0000' + '0002');
    // The socket stays open: librdkafka retries v0 on it.
    const v0 = await raw.request(18, 0, 2, Buffer.alloc(0));
    expect(v0.readInt32BE(0)).toBe(2);
    expect(v0.readInt16BE(4)).toBe(0);
    raw.close();
  });

  it('ApiVersions v2 (kafkajs) lists exactly the implemented APIs and versions', async () => {
    const raw = await RawClient.connect(broker.port);
    const answer = await raw.send(Buffer.from('0000000d001200020000000000036b6a73', 'hex'));
    expect(answer.readInt32BE(0)).toBe(0);
    expect(answer.readInt16BE(4)).toBe(0);
    const count = answer.readInt32BE(6);
    const table: Array<[number, number, number]> = [];
    for (let i = 0; i < count; i++) {
      const at = 10 + i * 6;
      table.push([answer.readInt16BE(at), answer.readInt16BE(at + 2), answer.readInt16BE(at + 4)]);
    }
    // Exactly the implemented versions. The old group versions exist for librdkafka's feature
    // probes; Produce [3,7] / Fetch [4,10] / OffsetCommit [2,2] / OffsetFetch [1,3] overlap theirs
    // (zstd needs Produce 7 and Fetch 10). Produce starts at 0 as in Kafka 4 (v0-2 refused).
    expect(table).toEqual([
      [0, 0, 7],
      [1, 4, 10],
      [2, 1, 1],
      [3, 0, 4],
      [8, 2, 2],
      [9, 1, 3],
      [10, 0, 1],
      [11, 0, 2],
      [12, 0, 1],
      [13, 0, 1],
      [14, 0, 1],
      [15, 1, 1],
      [16, 1, 1],
      [18, 0, 2],
      [19, 2, 2],
      [20, 1, 1],
    ]);
    expect(answer.readInt32BE(10 + count * 6)).toBe(0); // throttle_time_ms
    raw.close();
  });
});

describe('requests the broker refuses', () => {
  it('an unknown API key or version closes that connection, as Kafka does, naming it in the log', async () => {
    for (const [key, version] of [
      [999, 0],
      [0, 2], // legacy message sets: advertised for librdkafka's probes, not served (as Kafka 4)
    ] as const) {
      const raw = await RawClient.connect(broker.port);
      const answered = raw.request(key, version, 7, Buffer.alloc(0)).then(() => 'answered');
      expect(await Promise.race([answered, raw.closed.then(() => 'closed')])).toBe('closed');
    }
    await until('the log line', () => broker.process.output().includes('BROKER_ERR_UNSUPPORTED_VERSION'));
    expect(broker.process.output()).toContain('Produce (key 0) v2 is not served here');
    const raw = await RawClient.connect(broker.port);
    const ok = await raw.request(18, 2, 9, Buffer.alloc(0));
    expect([ok.readInt32BE(0), ok.readInt16BE(4)]).toEqual([9, 0]);
    raw.close();
  });

  it('a batch with a bad CRC is refused with CORRUPT_MESSAGE and nothing is stored', async () => {
    const topic = uniqueName('crc');
    const admin = kafkaClient(broker.brokers).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    const raw = await RawClient.connect(broker.port);
    const good = recordBatch(Buffer.from('hello'));
    const bad = Buffer.from(good);
    bad[bad.length - 2]! ^= 0xff;
    const refused = await raw.request(0, 3, 1, produceBody(topic, bad));
    // topics[1] name partitions[1] index error_code
    const errorAt = 4 + 4 + 2 + Buffer.byteLength(topic) + 4 + 4;
    expect(refused.readInt16BE(errorAt)).toBe(2);
    const accepted = await raw.request(0, 3, 2, produceBody(topic, good));
    expect(accepted.readInt16BE(errorAt)).toBe(0);
    expect(accepted.readBigInt64BE(errorAt + 2)).toBe(0n); // the good batch got offset 0
    const badAcks = await raw.request(0, 3, 3, produceBody(topic, recordBatch(Buffer.from('x')), 2));
    expect(badAcks.readInt16BE(errorAt)).toBe(21); // INVALID_REQUIRED_ACKS, nothing stored
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets[0]!.high).toBe('1');
    await admin.disconnect();
    raw.close();
  });

  it('stale generation and unknown member ids get 22 and 25 (Heartbeat v1)', async () => {
    const topic = uniqueName('hb');
    const groupId = uniqueName('g');
    const kafka = kafkaClient(broker.brokers);
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
    let memberId = '';
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      memberId = e.payload.memberId;
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic] });
    await consumer.run({ eachMessage: async () => {} });
    await until('joined', () => memberId !== '');
    const raw = await RawClient.connect(broker.port);
    const hb = (gen: number, member: string, corr: number) =>
      raw.request(12, 1, corr, Buffer.concat([kString(groupId), int32(gen), kString(member)]));
    const stale = await hb(9999, memberId, 1); // the group is at generation 1
    expect(stale.readInt16BE(8)).toBe(22);
    const unknown = await hb(1, 'nobody', 2);
    expect(unknown.readInt16BE(8)).toBe(25);
    // The v0 forms (kept for librdkafka's feature probes) answer without a throttle field.
    const v0 = await raw.request(12, 0, 3, Buffer.concat([kString(groupId), int32(1), kString('nobody')]));
    expect(v0.length).toBe(6);
    expect(v0.readInt16BE(4)).toBe(25);
    const coordinator = await raw.request(10, 0, 4, kString(groupId));
    expect(coordinator.readInt16BE(4)).toBe(0); // error_code, then node_id 0, host, port
    expect(coordinator.readInt32BE(6)).toBe(0);
    expect(coordinator.readInt32BE(coordinator.length - 4)).toBe(broker.port);
    raw.close();
    await consumer.disconnect();
  });
});

describe('fuzz: random and truncated frames', () => {
  it('closes only the offending connections while a kafkajs client keeps working', async () => {
    const kafka = kafkaClient(broker.brokers);
    const topic = uniqueName('fuzz');
    const producer = kafka.producer();
    await producer.connect();
    const consumer = kafka.consumer({ groupId: uniqueName('g'), maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const received = new Set<string>();
    await consumer.run({
      eachMessage: async ({ message }) => {
        received.add(message.value!.toString());
      },
    });
    let sent = 0;
    let stop = false;
    const traffic = (async () => {
      while (!stop) {
        await producer.send({ topic, messages: [{ value: `ok-${sent}` }] });
        sent++;
        await new Promise((r) => setTimeout(r, 10));
      }
    })();

    const validHeader = (key: number, version: number) =>
      Buffer.concat([int16(key), int16(version), int32(1), kString('fuzz')]);
    const apiVersions = [0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 19, 20];
    const maxVersion: Record<number, number> = {
      0: 3,
      1: 4,
      2: 1,
      3: 4,
      8: 2,
      9: 3,
      10: 1,
      11: 2,
      12: 1,
      13: 1,
      14: 1,
      15: 1,
      16: 1,
      18: 2,
      19: 2,
      20: 1,
    };
    let closed = 0;
    for (let round = 0; round < 300; round++) {
      const raw = await RawClient.connect(broker.port);
      let payload: Buffer;
      const kind = round % 4;
      if (kind === 0) payload = randomBytes(1 + Math.floor(Math.random() * 200));
      else {
        const key = apiVersions[Math.floor(Math.random() * apiVersions.length)]!;
        const body = randomBytes(Math.floor(Math.random() * 64));
        payload = Buffer.concat([validHeader(key, maxVersion[key] ?? 0), body]);
      }
      let frame: Buffer;
      if (kind === 3) {
        // Truncated: the size prefix promises more than is sent, then the client hangs up.
        frame = Buffer.concat([int32(payload.length + 100), payload]);
      } else if (kind === 0 && round % 8 === 0) {
        frame = Buffer.concat([int32(-5 - round), payload]); // negative / oversized size prefix
      } else frame = Buffer.concat([int32(payload.length), payload]);
      const answer = Promise.race([
        raw.send(frame).then(() => 'answered' as const),
        raw.closed.then(() => 'closed' as const),
        new Promise<'open'>((r) => setTimeout(() => r('open'), 200)),
      ]);
      const outcome = await answer;
      if (outcome === 'closed') closed++;
      raw.close();
    }
    // A huge size prefix is refused at once, without waiting for (or allocating) the body.
    const huge = await RawClient.connect(broker.port);
    huge.socket.write(int32(0x7fffffff));
    await Promise.race([
      huge.closed,
      new Promise((_, rej) => setTimeout(() => rej(new Error('not closed')), 2000)),
    ]);

    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await traffic;
    await until('all produced messages consumed', () => received.size === sent, 10_000);
    await consumer.disconnect();
    await producer.disconnect();
    expect(closed).toBeGreaterThan(50); // malformed frames closed their connections
    expect(sent).toBeGreaterThan(20);
    expect(broker.process.child.exitCode).toBeNull();
    expect(broker.process.output()).toContain('closing connection: bad request bytes');
    expect(broker.process.output()).not.toContain('request handler failed');
  }, 120_000);
});
