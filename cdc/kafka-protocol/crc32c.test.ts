import { describe, expect, it } from 'vitest';
import { crc32c } from './crc32c.ts';

describe('crc32c', () => {
  it('matches the CRC-32C check value and known vectors', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
    expect(crc32c(Buffer.alloc(32, 0))).toBe(0x8a9136aa); // RFC 3720 B.4
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
  });

  it('gives the same answer for every alignment and range (slicing-by-8 vs byte loop)', () => {
    const data = Buffer.from(Array.from({ length: 301 }, (_, i) => (i * 37 + 11) & 0xff));
    const bytewise = (b: Buffer) => {
      let crc = ~0;
      for (const byte of b) {
        crc ^= byte;
        for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
      }
      return ~crc >>> 0;
    };
    for (const [start, end] of [
      [0, 301],
      [1, 300],
      [5, 13],
      [21, 290],
      [100, 100],
    ] as const) {
      expect(crc32c(data, start, end)).toBe(bytewise(data.subarray(start, end)));
    }
  });
});
