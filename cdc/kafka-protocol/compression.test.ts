import { gzipSync } from 'node:zlib';
import { compress as lz4Compress } from 'lz4js';
import { compress as snappyCompress } from 'snappyjs';
import { describe, expect, it } from 'vitest';
import { Codec, decompress } from './compression.ts';
import { MalformedDataError } from './errors.ts';

const text = Buffer.from('the same words, the same words, the same words again '.repeat(40));

/** Kafka's Java client framing: magic, two int32 versions, then int32-length raw snappy blocks. */
function xerial(...blocks: Buffer[]): Buffer {
  const head = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
  const framed = blocks.flatMap((b) => {
    const c = Buffer.from(snappyCompress(b));
    const len = Buffer.alloc(4);
    len.writeInt32BE(c.length);
    return [len, c];
  });
  return Buffer.concat([head, ...framed]);
}

describe('decompress', () => {
  it('reads gzip, raw and xerial-framed snappy, lz4 frames of independent blocks', () => {
    expect(decompress(Codec.none, text)).toBe(text);
    expect(decompress(Codec.gzip, gzipSync(text))).toEqual(text);
    expect(decompress(Codec.snappy, Buffer.from(snappyCompress(text)))).toEqual(text);
    expect(decompress(Codec.snappy, xerial(text.subarray(0, 700), text.subarray(700)))).toEqual(text);
    const frame = Buffer.from(lz4Compress(text));
    frame[4]! |= 0x20; // block independence (lz4js leaves it unset; its single block is independent)
    expect(decompress(Codec.lz4, frame)).toEqual(text);
  });

  it.each([
    ['gzip', Codec.gzip, Buffer.from('not gzip'), /gzip record section does not decompress/],
    ['snappy', Codec.snappy, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), /snappy record section/],
    ['a cut xerial block', Codec.snappy, xerial(text).subarray(0, 30), /xerial snappy block/],
    ['lz4 with dependent blocks', Codec.lz4, Buffer.from(lz4Compress(text)), /dependent-block frames/],
    ['lz4', Codec.lz4, Buffer.from('garbage!'), /lz4 record section/],
    ['zstd', Codec.zstd, Buffer.from('garbage!'), /zstd record section/],
    ['codec 6', 6, text, /unknown compression codec 6/],
  ])('%s that does not decode → MalformedDataError naming it', (_name, codec, data, message) => {
    expect(() => decompress(codec, data)).toThrow(MalformedDataError);
    expect(() => decompress(codec, data)).toThrow(message);
  });
});
