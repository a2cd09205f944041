import { gunzipSync } from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';
import { decompress as lz4Decompress } from 'lz4js';
import { uncompress as snappyUncompress } from 'snappyjs';
import { MalformedDataError } from './errors.ts';

/** Compression codec in a record batch's attributes (bits 0-2), Kafka's numbering. */
export const Codec = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export const codecNames = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

/**
 * Snappy as Kafka's Java client writes it (xerial's SnappyOutputStream): an 8-byte magic, two
 * int32 versions, then blocks of int32 length + raw snappy. librdkafka writes either that or
 * plain raw snappy; Kafka reads both, so do we.
 */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);

function snappy(data: Buffer): Buffer {
  if (data.length < 16 || !data.subarray(0, 8).equals(XERIAL_MAGIC))
    return Buffer.from(snappyUncompress(data));
  const blocks: Buffer[] = [];
  for (let o = 16; o < data.length; ) {
    if (o + 4 > data.length) throw new Error('xerial snappy block length cut short');
    const len = data.readInt32BE(o);
    if (len < 0 || o + 4 + len > data.length)
      throw new Error(`xerial snappy block of ${len} bytes past the end`);
    blocks.push(Buffer.from(snappyUncompress(data.subarray(o + 4, o + 4 + len))));
    o += 4 + len;
  }
  return Buffer.concat(blocks);
}

/**
 * The record section of a batch, decompressed. Throws MalformedDataError naming the codec when
 * the bytes do not decompress or the codec number is not one of Kafka's. Pure-JS decoders:
 * nothing to build or download at install time, and the broker only decompresses to validate.
 */
export function decompress(codec: number, data: Buffer): Buffer {
  if (codec === Codec.none) return data;
  const name = codecNames[codec];
  if (!name) throw new MalformedDataError(`unknown compression codec ${codec}`);
  try {
    switch (codec) {
      case Codec.gzip:
        return gunzipSync(data);
      case Codec.snappy:
        return snappy(data);
      case Codec.lz4:
        // FLG bit 5: Kafka's reader refuses frames whose blocks depend on earlier ones.
        if (data.length > 4 && (data[4]! & 0x20) === 0)
          throw new Error('dependent-block frames are not read');
        return Buffer.from(lz4Decompress(data));
      default:
        return Buffer.from(zstdDecompress(data));
    }
  } catch (err) {
    throw new MalformedDataError(`${name} record section does not decompress: ${(err as Error).message}`);
  }
}
