import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey } from './partitioner.ts';

// kafkajs' default partitioner (its public, Java-compatible one) is the reference: for the same
// key and partition count it must pick the same partition as ours, as the Java producer does.
const partitionCounts = [1, 2, 3, 6, 7, 12, 31, 64, 100];

function kafkajsPartition(key: Buffer, partitions: number): number {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));
  return partitioner({ topic: 't', partitionMetadata, message: { key, value: null } });
}

describe('murmur2 partitioner', () => {
  it('picks the partition kafkajs (and the Java client) picks, for keys of every length remainder', () => {
    const keys = ['', 'a', 'ab', 'abc', 'abcd', '{"id":1}', '{"order_id":5002,"line_no":3}', '😀 ünïcode'];
    for (let i = 0; i < 2000; i++)
      keys.push(
        `{"id":${i * 7919}}`,
        Math.random()
          .toString(36)
          .repeat(1 + (i % 5)),
      );
    let compared = 0;
    for (const k of keys)
      for (const n of partitionCounts) {
        expect(partitionForKey(Buffer.from(k), n), `${k} over ${n}`).toBe(
          kafkajsPartition(Buffer.from(k), n),
        );
        compared++;
      }
    expect(compared).toBe(keys.length * partitionCounts.length);
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
