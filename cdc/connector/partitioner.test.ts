import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { murmur2 } from './partitioner.ts';

// kafkajs' own Java-compatible murmur2 is the reference: same key, same partition.
const require = createRequire(import.meta.url);
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (
  k: Buffer | string,
) => number;

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
    for (const k of keys) expect(murmur2(Buffer.from(k)), k).toBe(kafkajsMurmur2(Buffer.from(k)));
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
