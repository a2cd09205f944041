import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createProduceRequestBuilder,
  groupMessagesPerPartition,
  kafkajsInternals,
  type ProduceArgs,
  type ProduceMessage,
  type ProduceRequest,
  prepareRecords,
} from './kafka-produce.ts';

// This test never installs the patches, so these are kafkajs' own modules.
const require = createRequire(import.meta.url);
const original = require('kafkajs/src/protocol/requests/produce/v3/request.js') as (
  args: ProduceArgs,
) => ProduceRequest;
const originalGroup =
  require('kafkajs/src/producer/groupMessagesPerPartition.js') as typeof groupMessagesPerPartition;
const Long = require('kafkajs/src/utils/long.js') as { fromInt(n: number): { toString(): string } };
const internals = kafkajsInternals();
const fast = createProduceRequestBuilder(internals, original);

const bytes = async (r: ProduceRequest) => {
  const e = (await r.encode()) as unknown as { buffer: Buffer };
  return e.buffer;
};

function messages(count: number, seed: number): ProduceMessage[] {
  const headers = { '__debezium.context.taskId': '0', 'ü-header': Buffer.from('é😀'), many: ['a', 'bb'] };
  const sizes = [0, 1, 127, 128, 300, 16_383, 16_384, 70_000];
  return Array.from({ length: count }, (_, i) => {
    const n = i + seed;
    const size = sizes[n % sizes.length] as number;
    return {
      key: n % 3 === 0 ? null : `{"id":${n}}`,
      value: n % 4 === 0 ? null : n % 2 ? `{"v":"${'x'.repeat(size)}é😀"}` : Buffer.alloc(size, n % 251),
      headers: n % 2 ? headers : undefined,
    };
  });
}

/** The same messages with every string value split into a framed head, body and tail. */
const framed = (list: ProduceMessage[]): ProduceMessage[] =>
  list.map((m) =>
    typeof m.value === 'string'
      ? {
          ...m,
          value: {
            head: Buffer.from(m.value.slice(0, 3)),
            body: m.value.slice(3, -1),
            tail: Buffer.from('}'),
          },
        }
      : m,
  );

describe("the connector's Kafka produce encoder", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_733_000_000_123);
  });
  afterEach(() => vi.useRealTimers());

  for (const [name, compression] of [
    ['uncompressed', 0],
    ['gzip', 1],
  ] as const) {
    it(`writes the same ${name} request bytes as kafkajs: several topics and partitions, every varint width`, async () => {
      const args: ProduceArgs = {
        acks: -1,
        timeout: 30_000,
        compression,
        topicData: [
          {
            topic: 'legacy.shop.products',
            partitions: [
              { partition: 0, firstSequence: 0, messages: messages(300, 0) },
              { partition: 3, firstSequence: 0, messages: messages(7, 1) },
            ],
          },
          { topic: 'legacy.shop.orders', partitions: [{ partition: 1, messages: messages(1, 5) }] },
        ],
      };
      const expected = await bytes(original(args));
      expect((await bytes(fast(args))).equals(expected)).toBe(true);
      const withFrames = {
        ...args,
        topicData: args.topicData.map((t) => ({
          ...t,
          partitions: t.partitions.map((p) => ({ ...p, messages: framed(p.messages) })),
        })),
      };
      expect((await bytes(fast(withFrames))).equals(expected)).toBe(true);
    });
  }

  it('writes transactional batches and producer ids as kafkajs does', async () => {
    const args: ProduceArgs = {
      acks: 1,
      timeout: 1000,
      transactionalId: 'tx-é',
      producerId: Long.fromInt(4321),
      producerEpoch: 7,
      topicData: [{ topic: 't', partitions: [{ partition: 2, firstSequence: 9, messages: messages(3, 2) }] }],
    };
    expect((await bytes(fast(args))).equals(await bytes(original(args)))).toBe(true);
  });

  it("leaves messages with their own timestamps to kafkajs' encoder, framed values included", async () => {
    const list = messages(5, 1).map((m, i) => ({ ...m, timestamp: String(1_733_000_000_000 + i * 7) }));
    const args: ProduceArgs = {
      acks: -1,
      timeout: 1000,
      topicData: [{ topic: 't', partitions: [{ partition: 0, messages: framed(list) }] }],
    };
    const plain = { ...args, topicData: [{ topic: 't', partitions: [{ partition: 0, messages: list }] }] };
    expect((await bytes(fast(args))).equals(await bytes(original(plain)))).toBe(true);
  });

  it('uses records prepared ahead only for a partition holding exactly those messages', async () => {
    const list = messages(40, 1);
    const marker = Buffer.from('prepared-records');
    const marking = { ...internals, lookupCodec: () => ({ compress: async () => marker }) };
    prepareRecords(list.slice(0, 20), 1, marking);
    const args = (partitionMessages: ProduceMessage[]): ProduceArgs => ({
      acks: -1,
      timeout: 1000,
      compression: 1,
      topicData: [{ topic: 't', partitions: [{ partition: 0, messages: partitionMessages }] }],
    });
    expect((await bytes(fast(args(list.slice(0, 20))))).includes(marker)).toBe(true);
    // Same first message, different contents: encoded afresh, exactly as kafkajs does.
    const other = args([...list.slice(0, 19), list[25] as ProduceMessage]);
    expect((await bytes(fast(other))).equals(await bytes(original(other)))).toBe(true);
  });

  it('groups messages per partition in order, as kafkajs does', () => {
    const list = messages(1000, 0);
    const partitioner = ({ message }: { message: ProduceMessage }) =>
      list.indexOf(message) % 7 === 0 ? 3 : list.indexOf(message) % 2;
    const args = { topic: 't', partitionMetadata: [{}, {}, {}, {}], messages: list, partitioner };
    expect(groupMessagesPerPartition(args)).toEqual(originalGroup(args));
    expect(groupMessagesPerPartition({ ...args, partitionMetadata: [] })).toEqual({});
  });
});
