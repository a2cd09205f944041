import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { createFastRecordEncoder, type RecordInput } from './kafka-record.ts';

const require = createRequire(import.meta.url);
const original = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (r: RecordInput) => {
  buffer: Buffer;
};
const Encoder = require('kafkajs/src/protocol/encoder.js') as { prototype: object };
const fast = createFastRecordEncoder(Encoder.prototype, original as never);

describe('fast Kafka record encoder', () => {
  it('writes the same bytes as kafkajs for keys, values, nulls, headers and deltas of every varint width', () => {
    const sizes = [0, 1, 127, 128, 300, 16_383, 16_384, 70_000];
    const cases: RecordInput[] = [];
    let i = 0;
    for (const size of sizes) {
      for (const delta of [0, 1, 63, 64, 8191, 8192, 1_000_000, -5]) {
        cases.push({
          offsetDelta: i++ % 5000,
          timestampDelta: delta,
          key: i % 3 === 0 ? null : `{"id":${i}}`,
          value: i % 4 === 0 ? null : i % 2 ? 'x'.repeat(size) : Buffer.alloc(size, 7),
          headers:
            i % 2
              ? { '__debezium.context.taskId': '0', 'ü-header': Buffer.from('é😀'), many: ['a', 'bb'] }
              : undefined,
        });
      }
    }
    for (const c of cases) {
      const a = original(c).buffer;
      const b = fast(c).buffer;
      expect(b.equals(a), JSON.stringify({ ...c, value: String(c.value).slice(0, 10) })).toBe(true);
    }
  });

  it('returns something kafkajs accepts as an Encoder', () => {
    const r = fast({ key: 'k', value: 'v' }) as unknown as { buf: Buffer };
    expect(r).toBeInstanceOf(Encoder as unknown as new () => object);
    expect(Buffer.isBuffer(r.buf)).toBe(true);
  });
});
