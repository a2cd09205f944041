import { gzipSync } from 'node:zlib';
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { compress as lz4Compress } from 'lz4js';
import { compress as snappyCompress } from 'snappyjs';
import { describe, expect, it } from 'vitest';
import { Codec, decompress } from '../../cdc/kafka-protocol/compression.ts';
import { Reader } from '../../cdc/kafka-protocol/reader.ts';
import { encodeRecordBatch, writeVarint } from '../../cdc/kafka-protocol/record-batch.ts';
import {
  hasKafkaPython,
  hasKcat,
  int16,
  int32,
  kafkaClient,
  kafkaPythonClient,
  kcat,
  kString,
  RawClient,
  uniqueName,
  until,
} from './support.ts';

/**
 * The client-facing behaviour of a Kafka broker, as kafkajs 2.2.4, kcat (librdkafka 2.0.2) and
 * Debian's kafka-python 2.0.2 see it. The same bodies run against the toolkit's broker
 * (test/broker/clients.test.ts) and against Apache Kafka 4 (test/interop/broker-clients.test.ts):
 * a difference between the two is a bug in ours or a limit docs/broker.md names.
 */
export interface BrokerTarget {
  /** Bootstrap address, `127.0.0.1:PORT`. */
  bootstrap: string;
  port: number;
}

// kafkajs decodes gzip itself; the other codecs come from the same decoders the broker
// validates with (kafkajs's front door for codecs). It never compresses with them here.
for (const [type, codec] of [
  [CompressionTypes.Snappy, Codec.snappy],
  [CompressionTypes.LZ4, Codec.lz4],
  [CompressionTypes.ZSTD, Codec.zstd],
] as const) {
  CompressionCodecs[type] = () => ({
    compress: () => {
      throw new Error('the tests compress with kcat and kafka-python only');
    },
    decompress: async (buffer: Buffer) => decompress(codec, buffer),
  });
}

async function createTopic(target: BrokerTarget, prefix: string, numPartitions = 3): Promise<string> {
  const topic = uniqueName(prefix);
  const admin = kafkaClient([target.bootstrap]).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions }] });
  } finally {
    await admin.disconnect();
  }
  return topic;
}

/** One record (key null) in the record-section encoding, `value` as given. */
function record(value: Buffer): Buffer {
  const body = Buffer.alloc(16 + value.length);
  let o = 0;
  body[o++] = 0; // attributes
  o = writeVarint(body, o, 0); // timestamp delta
  o = writeVarint(body, o, 0); // offset delta
  o = writeVarint(body, o, -1); // key: null
  o = writeVarint(body, o, value.length);
  o += value.copy(body, o);
  o = writeVarint(body, o, 0); // no headers
  const head = Buffer.alloc(5);
  return Buffer.concat([head.subarray(0, writeVarint(head, 0, o)), body.subarray(0, o)]);
}

function produceRequest(topic: string, batch: Buffer): Buffer {
  return Buffer.concat([
    int16(-1), // transactional id
    int16(-1), // acks
    int32(30_000),
    int32(1),
    kString(topic),
    int32(1),
    int32(0),
    int32(batch.length),
    batch,
  ]);
}

/** The error code of a one-partition Produce answer (v3-v7 share the prefix). */
function produceError(answer: Buffer): number {
  const r = new Reader(answer, 4);
  r.int32();
  r.string();
  r.int32();
  r.int32();
  return r.int16();
}

/** Fetch v10 of one partition from offset 0: the codec of every whole batch in the answer. */
async function storedCodecs(target: BrokerTarget, topic: string, partition: number): Promise<number[]> {
  const raw = await RawClient.connect(target.port);
  try {
    const answer = await raw.request(
      1,
      10,
      1,
      Buffer.concat([
        int32(-1), // replica id
        int32(0), // max wait
        int32(0), // min bytes
        int32(10 << 20),
        Buffer.from([0]), // read uncommitted
        int32(0), // no session
        int32(-1),
        int32(1),
        kString(topic),
        int32(1),
        int32(partition),
        int32(-1), // current leader epoch
        Buffer.from('0000000000000000', 'hex'), // fetch offset 0
        Buffer.from('ffffffffffffffff', 'hex'), // log start offset
        int32(10 << 20),
        int32(0), // forgotten topics
      ]),
    );
    const r = new Reader(answer, 4);
    r.int32(); // throttle
    expect(r.int16()).toBe(0);
    r.int32(); // session id
    expect(r.int32()).toBe(1);
    r.string();
    expect(r.int32()).toBe(1);
    r.int32();
    expect(r.int16()).toBe(0);
    r.int64();
    r.int64();
    r.int64();
    r.nullableArray((r) => [r.int64(), r.int64()]);
    const records = r.bytes();
    const codecs: number[] = [];
    for (let at = 0; at + 61 <= records.length; at += 12 + records.readInt32BE(at + 8)) {
      if (at + 12 + records.readInt32BE(at + 8) > records.length) break; // a partial last batch
      codecs.push(records.readInt16BE(at + 21) & 0x07);
    }
    return codecs;
  } finally {
    raw.close();
  }
}

function apiRanges(answer: Buffer): Map<number, [number, number]> {
  const r = new Reader(answer, 4);
  expect(r.int16()).toBe(0);
  return new Map(r.array((r) => [r.int16(), [r.int16(), r.int16()] as [number, number]] as const));
}

export function clientSuite(target: () => BrokerTarget) {
  describe('kafkajs round trips', () => {
    it('delivers keys, values and headers in order with broker-assigned offsets', async () => {
      const kafka = kafkaClient([target().bootstrap]);
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
      const kafka = kafkaClient([target().bootstrap]);
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

    it('serves the kafkajs admin calls: create, metadata, offsets, groups, delete', async () => {
      const kafka = kafkaClient([target().bootstrap]);
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
      const { brokers } = await admin.describeCluster();
      const node = brokers[0]!.nodeId;
      expect(brokers).toHaveLength(1);
      expect(meta.topics[0]!.partitions[0]).toMatchObject({ leader: node, replicas: [node], isr: [node] });

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
      const nobody = uniqueName('nobody');
      const idle = await admin.describeGroups([groupId, nobody]);
      // Kafka answers the groups in its own order; the states are what matters.
      expect(Object.fromEntries(idle.groups.map((g) => [g.groupId, g.state]))).toEqual({
        [groupId]: 'Empty',
        [nobody]: 'Dead',
      });
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

  describe('old and new API versions', () => {
    it('ApiVersions offers Metadata from v0 and Produce/Fetch up to the zstd versions', async () => {
      const raw = await RawClient.connect(target().port);
      const ranges = apiRanges(await raw.request(18, 0, 1, Buffer.alloc(0)));
      raw.close();
      const [metaMin, metaMax] = ranges.get(3)!;
      expect(metaMin).toBe(0); // kafka-python 2.0 asks for v1 (v0 for brokers before 0.10)
      expect(metaMax).toBeGreaterThanOrEqual(4);
      // Produce from 0: librdkafka 2.0.2 compresses only when the range reaches its old probes.
      const [produceMin, produceMax] = ranges.get(0)!;
      expect(produceMin).toBe(0);
      expect(produceMax).toBeGreaterThanOrEqual(7);
      const [fetchMin, fetchMax] = ranges.get(1)!;
      expect(fetchMin).toBe(4);
      expect(fetchMax).toBeGreaterThanOrEqual(10);
    });

    it('Metadata v0 and v1 (kafka-python 2.0) name the broker and the leader of each partition', async () => {
      const { port } = target();
      const topic = await createTopic(target(), 'meta-old');
      const raw = await RawClient.connect(port);
      try {
        for (const version of [0, 1]) {
          const answer = await raw.request(3, version, 5, Buffer.concat([int32(1), kString(topic)]));
          const r = new Reader(answer, 4);
          const brokers = r.array((r) => {
            const node = { id: r.int32(), host: r.string(), port: r.int32() };
            if (version === 1) r.nullableString(); // rack
            return node;
          });
          expect(brokers.map((b) => [b.host, b.port])).toEqual([['127.0.0.1', port]]);
          if (version === 1) expect(r.int32()).toBe(brokers[0]!.id); // controller
          const topics = r.array((r) => {
            const t = { error: r.int16(), name: r.string() };
            if (version === 1) r.bool();
            const partitions = r.array((r) => {
              const p = { error: r.int16(), index: r.int32(), leader: r.int32() };
              r.array((r) => r.int32());
              r.array((r) => r.int32());
              return p;
            });
            return { ...t, partitions };
          });
          expect(r.remaining()).toBe(0);
          expect(topics).toEqual([
            {
              error: 0,
              name: topic,
              partitions: [0, 1, 2].map((index) => ({ error: 0, index, leader: brokers[0]!.id })),
            },
          ]);
        }
      } finally {
        raw.close();
      }
    });

    it.each([
      ['Produce v2', 0, 2],
      ['Fetch v3', 1, 3],
      ['an unknown API key', 999, 0],
    ])('%s (legacy message sets, or nothing) closes the connection', async (_name, key, version) => {
      const raw = await RawClient.connect(target().port);
      const answered = raw.request(key, version, 9, Buffer.alloc(0)).then(() => 'answered');
      expect(await Promise.race([answered, raw.closed.then(() => 'closed')])).toBe('closed');
    });
  });

  describe('produced batches are checked record by record, in every codec', () => {
    const one = record(Buffer.from('hello'));
    const batch = (section: Buffer, compression: number, count = 1) =>
      encodeRecordBatch(section, { count, compression, timestampMs: Date.now() });
    it.each([
      ['uncompressed', 7, 0, batch(one, Codec.none)],
      ['gzip', 7, 0, batch(gzipSync(one), Codec.gzip)],
      ['raw snappy', 7, 0, batch(Buffer.from(snappyCompress(one)), Codec.snappy)],
      // lz4js leaves the frame's block-independence flag unset; Kafka reads only independent
      // blocks (librdkafka and kafka-python set it: their lz4 is in the cross-client test).
      ['an lz4 frame of dependent blocks', 7, -1, batch(Buffer.from(lz4Compress(one)), Codec.lz4)],
      ['records that do not parse', 7, 87, batch(Buffer.from('garbage'), Codec.none)],
      ['two records under a count of one', 7, 87, batch(Buffer.concat([one, one]), Codec.none)],
      ['gzip holding a count of two but one record', 7, 87, batch(gzipSync(one), Codec.gzip, 2)],
      [
        'gzip with bytes after the last record',
        7,
        87,
        batch(gzipSync(Buffer.concat([one, Buffer.from([1, 2])])), Codec.gzip),
      ],
      ['gzip that does not decompress', 7, -1, batch(Buffer.from('not gzip'), Codec.gzip)],
      ['snappy that does not decompress', 7, -1, batch(Buffer.from('garbage'), Codec.snappy)],
      ['lz4 that does not decompress', 7, -1, batch(Buffer.from('garbage'), Codec.lz4)],
      ['zstd that does not decompress', 7, -1, batch(Buffer.from('garbage'), Codec.zstd)],
      ['codec 5 (no such codec)', 7, -1, batch(one, 5)],
      ['zstd in Produce v3 (zstd needs v7)', 3, 76, batch(Buffer.from('garbage'), Codec.zstd)],
    ])('%s (Produce v%s) → error %s', async (_name, version, code, produced) => {
      const topic = await createTopic(target(), 'check', 1);
      const raw = await RawClient.connect(target().port);
      try {
        expect(produceError(await raw.request(0, version, 3, produceRequest(topic, produced)))).toBe(code);
      } finally {
        raw.close();
      }
    });
  });

  describe.skipIf(!hasKcat)('kcat (librdkafka 2.0.2)', () => {
    it('-P then -C with CRC checks: offsets, keys, values; kafkajs sees the same data', async () => {
      const topic = await createTopic(target(), 'kpc');
      const produced = await kcat(
        target().bootstrap,
        ['-P', '-t', topic, '-p', '0', '-K:'],
        'k1:v1\nk2:v2\nk3:v3\n',
      );
      expect(produced.code).toBe(0);
      const consumed = await kcat(target().bootstrap, [
        '-C',
        '-t',
        topic,
        '-p',
        '0',
        '-o',
        'beginning',
        '-e',
        '-f',
        '%o %k %s\n',
        '-X',
        'check.crcs=true',
      ]);
      expect(consumed.code).toBe(0);
      expect(consumed.stdout).toBe('0 k1 v1\n1 k2 v2\n2 k3 v3\n');

      const producer = kafkaClient([target().bootstrap]).producer();
      await producer.connect();
      const [res] = await producer.send({
        topic,
        messages: [{ key: 'k4', value: 'v4', partition: 0, headers: { h: 'x' } }],
      });
      await producer.disconnect();
      expect(res!.baseOffset).toBe('3');
      const tail = await kcat(target().bootstrap, [
        '-C',
        '-t',
        topic,
        '-p',
        '0',
        '-o',
        '-2',
        '-e',
        '-f',
        '%o %k %s %h\n',
      ]);
      expect(tail.stdout).toBe('2 k3 v3 \n3 k4 v4 h=x\n');
    });

    it('-G consumes in a group, commits, and a second run gets only new messages', async () => {
      const topic = await createTopic(target(), 'kg');
      const group = uniqueName('g-k');
      await kcat(target().bootstrap, ['-P', '-t', topic, '-p', '0'], 'a\nb\n');
      await kcat(target().bootstrap, ['-P', '-t', topic, '-p', '2'], 'c\n');
      const groupArgs = ['-G', group, '-X', 'auto.offset.reset=earliest', '-e', '-f', '%p:%o %s\n', topic];
      const first = await kcat(target().bootstrap, groupArgs, undefined, 40_000);
      expect(first.code).toBe(0);
      expect(first.stdout.trim().split('\n').sort()).toEqual(['0:0 a', '0:1 b', '2:0 c']);
      await kcat(target().bootstrap, ['-P', '-t', topic, '-p', '1'], 'd\ne\n');
      const second = await kcat(target().bootstrap, groupArgs, undefined, 40_000);
      expect(second.code).toBe(0);
      expect(second.stdout.trim().split('\n').sort()).toEqual(['1:0 d', '1:1 e']);
      const admin = kafkaClient([target().bootstrap]).admin();
      await admin.connect();
      const offsets = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      await admin.disconnect();
      expect(offsets[0]!.partitions.sort((a, b) => a.partition - b.partition).map((p) => p.offset)).toEqual([
        '2',
        '2',
        '1',
      ]);
    }, 120_000);
  });

  describe.skipIf(!hasKcat || !hasKafkaPython)('kcat, kafkajs and kafka-python on one topic', () => {
    it('every codec from kcat and kafka-python is stored compressed and every client reads it all', async () => {
      const { bootstrap } = target();
      const topic = await createTopic(target(), 'codecs');
      const padding = 'z'.repeat(200); // compressible, so every codec compresses
      const codecs = ['gzip', 'snappy', 'lz4', 'zstd'] as const;
      for (const codec of codecs) {
        const lines = Array.from({ length: 20 }, (_, i) => `kcat-${codec}-${i}:${padding}`).join('\n');
        const res = await kcat(bootstrap, ['-P', '-t', topic, '-p', '0', '-z', codec], `${lines}\n`);
        expect(res.code, res.stderr).toBe(0);
      }
      for (const codec of ['none', ...codecs]) {
        const res = await kafkaPythonClient<{ acked: number }>(bootstrap, [
          'produce',
          topic,
          '20',
          codec,
          `py-${codec}`,
        ]);
        expect(res.acked).toBe(20);
      }
      const expected = [
        ...codecs.flatMap((c) => Array.from({ length: 20 }, (_, i) => `kcat-${c}-${i}`)),
        ...['none', ...codecs].flatMap((c) => Array.from({ length: 20 }, (_, i) => `py-${c}-${i}`)),
      ].sort();
      // kcat's batches went to partition 0 whole, compressed as asked (attributes bits 0-2).
      expect(new Set(await storedCodecs(target(), topic, 0))).toEqual(new Set([0, 1, 2, 3, 4]));

      const byKcat = await kcat(bootstrap, [
        '-C',
        '-t',
        topic,
        '-o',
        'beginning',
        '-e',
        '-X',
        'check.crcs=true',
      ]);
      expect(byKcat.code, byKcat.stderr).toBe(0);
      expect(
        byKcat.stdout
          .trim()
          .split('\n')
          .map((l) => l.split(':')[0])
          .sort(),
      ).toEqual(expected);

      const byPython = await kafkaPythonClient<{ messages: Array<[number, number, string | null, string]> }>(
        bootstrap,
        ['consume', topic, uniqueName('py-group'), String(expected.length)],
      );
      expect(byPython.messages.map((m) => m[3].split(':')[0]).sort()).toEqual(expected);

      const consumer = kafkaClient([bootstrap]).consumer({
        groupId: uniqueName('kjs'),
        maxWaitTimeInMs: 200,
      });
      const byKafkajs: string[] = [];
      await consumer.connect();
      try {
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        await consumer.run({
          eachMessage: async ({ message }) => {
            byKafkajs.push(message.value!.toString().split(':')[0]!);
          },
        });
        await until('kafkajs reads every message', () => byKafkajs.length >= expected.length, 60_000);
      } finally {
        await consumer.disconnect();
      }
      expect(byKafkajs.sort()).toEqual(expected);
    });
  });

  describe.skipIf(!hasKafkaPython)('kafka-python 2.0 (Debian python3-kafka)', () => {
    it('sees the broker and the partitions, as the version it detects', async () => {
      const topic = await createTopic(target(), 'py-meta');
      const seen = await kafkaPythonClient<{
        api_version: number[];
        brokers: Array<[string, number]>;
        partitions: number[];
        leaders: number[];
      }>(target().bootstrap, ['metadata', topic]);
      // 2.1 or later: the Fetch v10 it probes for is there, so it allows zstd.
      expect(seen.api_version.slice(0, 2)).toSatisfy(
        ([major, minor]: number[]) => major! > 2 || (major === 2 && minor! >= 1),
      );
      expect(seen.brokers).toEqual([['127.0.0.1', target().port]]);
      expect(seen.partitions).toEqual([0, 1, 2]);
      expect(new Set(seen.leaders).size).toBe(1);
    });

    it('a group commits what it read; the next member of the group reads only what came after; kafkajs reads the same', async () => {
      const { bootstrap } = target();
      const topic = await createTopic(target(), 'py-group');
      const group = uniqueName('py');
      await kafkaPythonClient(bootstrap, ['produce', topic, '30', 'gzip', 'first']);
      const first = await kafkaPythonClient<{ messages: Array<[number, number, string, string]> }>(
        bootstrap,
        ['consume', topic, group, '30'],
      );
      expect(first.messages).toHaveLength(30);
      // Same key, same partition, offsets in order within each partition.
      const partitionOf = new Map<string, number>();
      for (const [partition, , key] of first.messages) {
        expect(partitionOf.get(key) ?? partition).toBe(partition);
        partitionOf.set(key, partition);
      }
      // kafkajs produces the second half; the group resumes from its commits.
      const producer = kafkaClient([bootstrap]).producer();
      await producer.connect();
      await producer.send({
        topic,
        messages: Array.from({ length: 10 }, (_, i) => ({ key: `second-k${i}`, value: `second-${i}:x` })),
      });
      await producer.disconnect();
      const second = await kafkaPythonClient<{ messages: Array<[number, number, string, string]> }>(
        bootstrap,
        ['consume', topic, group, '10'],
      );
      expect(second.messages.map((m) => m[3].split(':')[0]).sort()).toEqual(
        Array.from({ length: 10 }, (_, i) => `second-${i}`).sort(),
      );
      // The group's commits, through the kafkajs admin: 40 messages in all.
      const admin = kafkaClient([bootstrap]).admin();
      await admin.connect();
      try {
        const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
        const committed = offsets!.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
        expect(committed).toBe(40);
      } finally {
        await admin.disconnect();
      }
    });
  });
}
