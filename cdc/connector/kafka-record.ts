import { createRequire } from 'node:module';

/**
 * kafkajs 2.2.4 encodes each record through its generic Encoder: a zero-filled 512-byte buffer
 * grown by doubling, a Long object per varlong, a fresh Buffer per varint, another Encoder per
 * header. For a connector that sends tens of thousands of 2–3 KB JSON records a second that was
 * the largest share of its CPU. This module is the same record format (Kafka RecordBatch v2
 * record: length, attributes, timestamp delta, offset delta, key, value, headers, all varints
 * zigzag-encoded) written into one exactly sized buffer; `installFastRecordEncoder` puts it in
 * the place of kafkajs' record encoder. kafkajs is pinned to the version this was written
 * against, and a unit test compares both encoders' bytes.
 */
const require = createRequire(import.meta.url);
const RECORD_MODULE = 'kafkajs/src/protocol/recordBatch/record/v0/index.js';
const PRODUCE_V3_MODULE = 'kafkajs/src/protocol/requests/produce/v3/request.js';

type Bytes = Buffer | string | null | undefined;
type HeaderValue = Buffer | string | null;
export interface RecordInput {
  offsetDelta?: number;
  timestampDelta?: number;
  key?: Bytes;
  value?: Bytes;
  headers?: Record<string, HeaderValue | HeaderValue[] | undefined>;
}
interface EncoderLike {
  buf: Buffer;
  offset: number;
  readonly buffer: Buffer;
}
type RecordEncoder = (record: RecordInput) => EncoderLike;

const zigzag = (n: number) => ((n << 1) ^ (n >> 31)) >>> 0;
const uvarintSize = (u: number) =>
  u < 0x80 ? 1 : u < 0x4000 ? 2 : u < 0x200000 ? 3 : u < 0x10000000 ? 4 : 5;
const varintSize = (n: number) => uvarintSize(zigzag(n));

function writeVarint(buf: Buffer, offset: number, n: number): number {
  let u = zigzag(n);
  while (u >= 0x80) {
    buf[offset++] = (u & 0x7f) | 0x80;
    u >>>= 7;
  }
  buf[offset++] = u;
  return offset;
}

const toBytes = (v: Bytes | HeaderValue): Buffer | null =>
  v === null || v === undefined ? null : typeof v === 'string' ? Buffer.from(v) : v;

/** Key and value strings are written straight into the record: no intermediate buffer per value. */
type Payload = Buffer | string | null;
const payloadOf = (v: Bytes): Payload => (v === undefined ? null : v);
const payloadLength = (v: Buffer | string) => (typeof v === 'string' ? Buffer.byteLength(v) : v.length);

/** Headers as (key bytes, value bytes) pairs; the same headers object is converted once. */
const headerCache = new WeakMap<object, [Buffer, Buffer | null][]>();
function headerPairs(headers: RecordInput['headers']): [Buffer, Buffer | null][] {
  if (!headers) return [];
  const cached = headerCache.get(headers);
  if (cached) return cached;
  const pairs: [Buffer, Buffer | null][] = [];
  for (const key of Object.keys(headers)) {
    const v = headers[key];
    for (const one of Array.isArray(v) ? v : [v]) pairs.push([Buffer.from(key), toBytes(one ?? null)]);
  }
  headerCache.set(headers, pairs);
  return pairs;
}

function bytesSize(b: Buffer | null): number {
  return b === null ? varintSize(-1) : varintSize(b.length) + b.length;
}

function writeBytes(buf: Buffer, offset: number, b: Buffer | null): number {
  if (b === null) return writeVarint(buf, offset, -1);
  offset = writeVarint(buf, offset, b.length);
  b.copy(buf, offset);
  return offset + b.length;
}

function writePayload(buf: Buffer, offset: number, p: Payload, length: number): number {
  if (p === null) return writeVarint(buf, offset, -1);
  offset = writeVarint(buf, offset, length);
  if (typeof p === 'string') buf.write(p, offset, length, 'utf8');
  else p.copy(buf, offset);
  return offset + length;
}

export function createFastRecordEncoder(encoderPrototype: object, fallback: RecordEncoder): RecordEncoder {
  return (record) => {
    const timestampDelta = record.timestampDelta ?? 0;
    const offsetDelta = record.offsetDelta ?? 0;
    // Varlongs beyond 32 bits (a record timestamp far from the batch's first) take kafkajs' path.
    if (!Number.isInteger(timestampDelta) || Math.abs(timestampDelta) >= 2 ** 30) return fallback(record);
    // (a value's byte length and its bytes are two passes over the string, but no allocation)
    const key = payloadOf(record.key);
    const value = payloadOf(record.value);
    const keyLength = key === null ? -1 : payloadLength(key);
    const valueLength = value === null ? -1 : payloadLength(value);
    const payloadSize = (length: number) => (length < 0 ? varintSize(-1) : varintSize(length) + length);
    const headers = headerPairs(record.headers);
    let headersSize = varintSize(headers.length);
    for (const [k, v] of headers) headersSize += varintSize(k.length) + k.length + bytesSize(v);
    const body =
      1 +
      varintSize(timestampDelta) +
      varintSize(offsetDelta) +
      payloadSize(keyLength) +
      payloadSize(valueLength) +
      headersSize;
    const buf = Buffer.allocUnsafe(varintSize(body) + body);
    let o = writeVarint(buf, 0, body);
    buf[o++] = 0; // attributes
    o = writeVarint(buf, o, timestampDelta);
    o = writeVarint(buf, o, offsetDelta);
    o = writePayload(buf, o, key, keyLength);
    o = writePayload(buf, o, value, valueLength);
    o = writeVarint(buf, o, headers.length);
    for (const [k, v] of headers) {
      o = writeBytes(buf, o, k);
      o = writeBytes(buf, o, v);
    }
    // An Encoder in all but construction: the batch encoder reads `buf` and `buffer`.
    const encoder = Object.create(encoderPrototype) as EncoderLike;
    encoder.buf = buf;
    encoder.offset = o;
    return encoder;
  };
}

let installed = false;

/** Must run before kafkajs loads its Produce v3 request module (that is, before the first send). */
export function installFastRecordEncoder(): void {
  if (installed) return;
  const recordPath = require.resolve(RECORD_MODULE);
  if (require.cache[require.resolve(PRODUCE_V3_MODULE)])
    throw new Error(
      'kafkajs already loaded its produce request: install the record encoder before the first send',
    );
  const original = require(RECORD_MODULE) as RecordEncoder;
  const Encoder = require('kafkajs/src/protocol/encoder.js') as { prototype: object };
  const cached = require.cache[recordPath];
  if (!cached) throw new Error(`kafkajs module ${RECORD_MODULE} not in the module cache`);
  cached.exports = createFastRecordEncoder(Encoder.prototype, original);
  installed = true;
}
