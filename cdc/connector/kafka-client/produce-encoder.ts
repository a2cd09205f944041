import { promisify } from 'node:util';
import zlib from 'node:zlib';
import {
  Compression,
  encodeRecordBatch,
  varintSize,
  writeVarint,
} from '../../kafka-protocol/record-batch.ts';
import type { FramedText } from '../encoding/types.ts';

/**
 * The connector's record encoder. A snapshot sends tens of thousands of 2-4 KB JSON records a
 * second, so records are written in two passes into exactly sized buffers (sizes first, then
 * every record of a partition straight into one section), never through a growable encoder.
 * Values may be `FramedText`: a table's constant schema text, encoded once, around the
 * per-event payload, so a value is never joined into one string. The section is compressed once
 * and wrapped in a record batch by `cdc/kafka-protocol/record-batch.ts`.
 */

export type HeaderValue = Buffer | string | null;
export type Payload = Buffer | string | FramedText | null | undefined;
export interface ProduceMessage {
  key?: Payload;
  value?: Payload;
  headers?: Record<string, HeaderValue | HeaderValue[] | undefined>;
  /** Set by the caller (or the partitioner) to fix the partition. */
  partition?: number;
}

export type CompressionName = 'none' | 'gzip';

const gzip = promisify(zlib.gzip);

/**
 * gzip at zlib level 3, the last of zlib's fast levels: JSON events with their schema repeat
 * one long schema text per record, which level 3's longer match search finds. On a batch of
 * the shop's products it compresses about 100-fold, at more bytes a second than level 1 (which
 * only finds shorter matches, about 45-fold); the default level 6 is several times slower.
 * zlib's async call runs on libuv's pool, off the event loop, so the partitions of a request
 * compress on several threads at once. Still standard gzip batches any Kafka client reads.
 */
const GZIP_LEVEL = 3;

/** Byte length of a key or value; -1 for a Kafka null. */
function payloadLength(p: Payload): number {
  if (p === null || p === undefined) return -1;
  if (typeof p === 'string') return Buffer.byteLength(p);
  if (Buffer.isBuffer(p)) return p.length;
  return p.head.length + Buffer.byteLength(p.body) + p.tail.length;
}

function writePayload(buf: Buffer, o: number, p: Payload, length: number): number {
  o = writeVarint(buf, o, length);
  if (length < 0 || p === null || p === undefined) return o;
  if (typeof p === 'string') buf.write(p, o, length, 'utf8');
  else if (Buffer.isBuffer(p)) p.copy(buf, o);
  else {
    let at = o + p.head.copy(buf, o);
    at += buf.write(p.body, at, 'utf8');
    p.tail.copy(buf, at);
  }
  return o + length;
}

/** Headers as (key, value) byte pairs plus their encoded size; the same headers object is converted once. */
const headerCache = new WeakMap<object, { pairs: [Buffer, Buffer | null][]; size: number }>();
function headerPairs(headers: ProduceMessage['headers']): { pairs: [Buffer, Buffer | null][]; size: number } {
  if (!headers) return { pairs: [], size: varintSize(0) };
  const cached = headerCache.get(headers);
  if (cached) return cached;
  const pairs: [Buffer, Buffer | null][] = [];
  for (const key of Object.keys(headers)) {
    const v = headers[key];
    for (const one of Array.isArray(v) ? v : [v]) {
      const bytes =
        one === null || one === undefined ? null : typeof one === 'string' ? Buffer.from(one) : one;
      pairs.push([Buffer.from(key), bytes]);
    }
  }
  let size = varintSize(pairs.length);
  for (const [k, v] of pairs)
    size += varintSize(k.length) + k.length + (v ? varintSize(v.length) + v.length : 1);
  const entry = { pairs, size };
  headerCache.set(headers, entry);
  return entry;
}

/**
 * Record sections are written into reused buffers: the first write into a fresh buffer of
 * several megabytes costs a page fault per 4 KiB, about 2 µs a record. A section lives only
 * until it is compressed or copied into its batch.
 */
const spareBuffers: Buffer[] = [];
const MAX_SPARE = 8;

function takeBuffer(size: number): Buffer {
  const i = spareBuffers.findIndex((b) => b.length >= size);
  if (i >= 0) return spareBuffers.splice(i, 1)[0] as Buffer;
  return Buffer.allocUnsafeSlow(Math.max(size + (size >> 2), 64 * 1024));
}

function releaseBuffer(buf: Buffer): void {
  if (spareBuffers.length < MAX_SPARE) spareBuffers.push(buf);
}

/**
 * The records of one batch (timestamp deltas all 0, offset deltas 0…n-1), uncompressed, in a
 * buffer from `takeBuffer` (to be released) of which the first `length` bytes are the records.
 */
function encodeRecords(messages: readonly ProduceMessage[]): { buf: Buffer; length: number } {
  const n = messages.length;
  const keyLengths = new Int32Array(n);
  const valueLengths = new Int32Array(n);
  const bodies = new Int32Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const m = messages[i] as ProduceMessage;
    const k = payloadLength(m.key);
    const v = payloadLength(m.value);
    keyLengths[i] = k;
    valueLengths[i] = v;
    const body =
      1 + // attributes
      1 + // timestamp delta 0
      varintSize(i) +
      (k < 0 ? 1 : varintSize(k) + k) +
      (v < 0 ? 1 : varintSize(v) + v) +
      headerPairs(m.headers).size;
    bodies[i] = body;
    total += varintSize(body) + body;
  }
  const buf = takeBuffer(total);
  let o = 0;
  for (let i = 0; i < n; i++) {
    const m = messages[i] as ProduceMessage;
    o = writeVarint(buf, o, bodies[i] as number);
    buf[o++] = 0;
    buf[o++] = 0;
    o = writeVarint(buf, o, i);
    o = writePayload(buf, o, m.key, keyLengths[i] as number);
    o = writePayload(buf, o, m.value, valueLengths[i] as number);
    const { pairs } = headerPairs(m.headers);
    o = writeVarint(buf, o, pairs.length);
    for (const [hk, hv] of pairs) {
      o = writeVarint(buf, o, hk.length);
      o += hk.copy(buf, o);
      if (hv === null) o = writeVarint(buf, o, -1);
      else {
        o = writeVarint(buf, o, hv.length);
        o += hv.copy(buf, o);
      }
    }
  }
  return { buf, length: total };
}

/** A batch's record section, as it goes into the batch (gzip-compressed unless `none`). */
async function recordSection(
  messages: readonly ProduceMessage[],
  compression: CompressionName,
): Promise<Buffer> {
  const { buf, length } = encodeRecords(messages);
  try {
    const records = buf.subarray(0, length);
    if (compression === 'none') return Buffer.from(records);
    return await gzip(records, { level: GZIP_LEVEL });
  } finally {
    releaseBuffer(buf);
  }
}

/**
 * Record sections encoded ahead of their request (see `prepareRecords`), keyed by the batch's
 * first message; used only when the request's partition holds exactly the same messages.
 */
const prepared = new WeakMap<
  object,
  { messages: readonly ProduceMessage[]; compression: CompressionName; records: Promise<Buffer> }
>();

function preparedRecords(
  messages: readonly ProduceMessage[],
  compression: CompressionName,
): Promise<Buffer> | undefined {
  const first = messages[0];
  const entry = first && prepared.get(first);
  if (!entry || entry.compression !== compression || entry.messages.length !== messages.length)
    return undefined;
  for (let i = 0; i < messages.length; i++) if (entry.messages[i] !== messages[i]) return undefined;
  prepared.delete(first);
  return entry.records;
}

/**
 * Starts encoding and compressing one partition's records before they are sent, so the work
 * overlaps the request still in flight. `encodeBatch` uses the result if the partition holds
 * exactly these messages, and encodes them itself otherwise.
 */
export function prepareRecords(messages: readonly ProduceMessage[], compression: CompressionName): void {
  const first = messages[0];
  if (!first) return;
  const records = recordSection(messages, compression);
  // A failure surfaces when the batch awaits it; a retry encodes afresh.
  records.catch(() => prepared.delete(first));
  prepared.set(first, { messages, compression, records });
}

/** One partition's record batch, ready for a Produce request. */
export async function encodeBatch(
  messages: readonly ProduceMessage[],
  compression: CompressionName,
): Promise<Buffer> {
  const timestampMs = Date.now();
  const records = await (preparedRecords(messages, compression) ?? recordSection(messages, compression));
  return encodeRecordBatch(records, {
    count: messages.length,
    compression: compression === 'gzip' ? Compression.gzip : Compression.none,
    timestampMs,
  });
}
