import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey } from './partitioner.ts';

/**
 * kafkajs' default (Java-compatible) partitioner is the reference: same key, same partition.
 * Its public form answers `toPositive(murmur2(key)) % partitions`; agreeing for partition
 * counts whose product exceeds 2^31 (1289 · 1291 · 1293, pairwise coprime) pins down the whole
 * positive hash, and Kafka's own test vectors below cover the sign bit.
 */
const kafkajsPartition = Partitioners.DefaultPartitioner();
const partitionCounts = [1289, 1291, 1293];
const metadata = new Map(
  partitionCounts.map((n) => [n, Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: 0 }))]),
);
const referencePartition = (key: Buffer, partitions: number) =>
  kafkajsPartition({
    topic: 't',
    partitionMetadata: metadata.get(partitions) as never,
    message: { key, value: null },
  });

describe('murmur2 partitioner', () => {
  it('hashes exactly as kafkajs (and the Java client) for keys of every length remainder', () => {
    const keys = ['', 'a', 'ab', 'abc', 'abcd', '{"id":1}', '{"order_id":5002,"line_no":3}', '😀 ünïcode'];
    for (let i = 0; i < 2000; i++)
      keys.push(
        `{"id":${i * 7919}}`,
        Math.random()
          .toString(36)
          .repeat(1 + (i % 5)),
      );
    for (const k of keys) {
      const key = Buffer.from(k);
      const ours = partitionCounts.map((n) => partitionForKey(key, n));
      expect(ours, k).toEqual(partitionCounts.map((n) => referencePartition(key, n)));
      expect(ours, k).toEqual(partitionCounts.map((n) => (murmur2(key) & 0x7fffffff) % n));
    }
  });

  it('matches known Java values', () => {
    // From Kafka's UtilsTest#testMurmur2.
    expect(murmur2(Buffer.from('21'))).toBe(-973932308);
    expect(murmur2(Buffer.from('foobar'))).toBe(-790332482);
    expect(murmur2(Buffer.from('a-little-bit-long-string'))).toBe(-985981536);
    expect(murmur2(Buffer.from('a-little-bit-longer-string'))).toBe(-1486304829);
    expect(murmur2(Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'))).toBe(-58897971);
    expect(murmur2(Buffer.from([97, 98, 99]))).toBe(479470107);
  });
});
