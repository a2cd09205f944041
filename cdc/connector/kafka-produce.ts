import { createRequire } from 'node:module';
import { crc32c } from '../kafka-protocol/crc32c.ts';
import { BATCH_HEADER_BYTES, BATCH_LOG_OVERHEAD } from '../kafka-protocol/record-batch.ts';
import { Writer } from '../kafka-protocol/writer.ts';
import type { FramedText } from './encoding/types.ts';

/**
 * kafkajs 2.2.4 encodes a produce request through its generic Encoder: per record a zero-filled
 * 512-byte buffer grown by doubling, a Long object per varlong and a Buffer per varint; then
 * the records are concatenated, the batch copied into another Encoder, and that one into the
 * request. It also groups a batch's messages per partition by copying the partition's array for
 * every message (quadratic in the batch size). For a connector sending tens of thousands of
 * 2–4 KB JSON records a second that was most of its CPU and garbage.
 *
 * This module writes the same Produce v3 request (the body v3–v7 share) in two passes into
 * exactly sized buffers: record sizes first, then every record of a partition straight into its
 * batch, whose records are compressed once with kafkajs' registered codec and checksummed with
 * CRC-32C. Values may also be `FramedText`: a table's constant schema text, encoded once, around
 * the per-event payload, so a value is never joined into one string. `loadPatchedKafkajs`
 * puts both in kafkajs' place; kafkajs is pinned to the version this was written against, and a
 * unit test compares this encoder's bytes with kafkajs' own.
 */
const require = createRequire(import.meta.url);
const PRODUCE_V3_MODULE = 'kafkajs/src/protocol/requests/produce/v3/request.js';
const GROUP_MODULE = 'kafkajs/src/producer/groupMessagesPerPartition.js';
const SEND_MESSAGES_MODULE = 'kafkajs/src/producer/sendMessages.js';

type HeaderValue = Buffer | string | null;
type Payload = Buffer | string | FramedText | null | undefined;
export interface ProduceMessage {
  key?: Payload;
  value?: Payload;
  headers?: Record<string, HeaderValue | HeaderValue[] | undefined>;
  timestamp?: string | number | null;
  partition?: number;
}
interface PartitionData {
  partition: number;
  firstSequence?: number;
  messages: ProduceMessage[];
}
interface TopicData {
  topic: string;
  partitions: PartitionData[];
}
export interface ProduceArgs {
  acks: number;
  timeout: number;
  transactionalId?: string | null;
  /** kafkajs passes its Long; only its decimal text is used. */
  producerId?: { toString(): string };
  producerEpoch?: number;
  compression?: number;
  topicData: TopicData[];
}
interface EncoderLike {
  buf: Buffer;
  offset: number;
}
export interface ProduceRequest {
  apiKey: number;
  apiVersion: number;
  apiName: string;
  expectResponse: () => boolean;
  encode: () => Promise<EncoderLike>;
}
type ProduceRequestBuilder = (args: ProduceArgs) => ProduceRequest;
interface KafkajsInternals {
  Encoder: { prototype: object };
  lookupCodec: (type: number) => { compress(encoder: { buffer: Buffer }): Promise<Buffer> } | null;
}

const MAGIC = 2;

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

const isFramed = (p: Payload): p is FramedText =>
  p !== null && p !== undefined && typeof p === 'object' && !Buffer.isBuffer(p);

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
function encodeRecords(messages: ProduceMessage[]): { buf: Buffer; length: number } {
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

/** A batch's record section, compressed with kafkajs' registered codec unless `compression` is 0. */
async function compressedRecords(
  internals: KafkajsInternals,
  messages: ProduceMessage[],
  compression: number,
): Promise<Buffer> {
  const { buf, length } = encodeRecords(messages);
  try {
    const records = buf.subarray(0, length);
    if (compression === 0) return Buffer.from(records);
    const codec = internals.lookupCodec(compression);
    if (!codec) throw new Error(`kafkajs has no codec for compression type ${compression}`);
    return await codec.compress({ buffer: records });
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
  { messages: ProduceMessage[]; compression: number; records: Promise<Buffer> }
>();

function preparedRecords(messages: ProduceMessage[], compression: number): Promise<Buffer> | undefined {
  const first = messages[0];
  const entry = first && prepared.get(first);
  if (!entry || entry.compression !== compression || entry.messages.length !== messages.length)
    return undefined;
  for (let i = 0; i < messages.length; i++) if (entry.messages[i] !== messages[i]) return undefined;
  return entry.records;
}

/**
 * Starts encoding and compressing one partition's records before kafkajs sends them, so the
 * work overlaps the request still in flight. The request uses the result if the partition holds
 * exactly these messages, and encodes them itself otherwise.
 */
export function prepareRecords(
  messages: ProduceMessage[],
  compression: number,
  internals = installedInternals,
): void {
  const first = messages[0];
  if (!first || !internals) return;
  const records = compressedRecords(internals, messages, compression);
  // A failure surfaces when the request awaits it; its retry encodes afresh.
  records.catch(() => prepared.delete(first));
  prepared.set(first, { messages, compression, records });
}

/**
 * One partition's record batch in the broker's layout (cdc/kafka-protocol/record-batch.ts):
 * base offset 0, leader epoch 0, magic 2, then the CRC-32C of everything after it.
 */
async function encodeBatch(
  internals: KafkajsInternals,
  data: PartitionData,
  args: { compression: number; transactional: boolean; producerId: bigint; producerEpoch: number },
): Promise<Buffer> {
  const now = BigInt(Date.now());
  const count = data.messages.length;
  const records = await (preparedRecords(data.messages, args.compression) ??
    compressedRecords(internals, data.messages, args.compression));
  const batch = Buffer.allocUnsafe(BATCH_HEADER_BYTES + records.length);
  let o = batch.writeBigInt64BE(0n, 0); // base offset
  o = batch.writeInt32BE(batch.length - BATCH_LOG_OVERHEAD, o);
  o = batch.writeInt32BE(0, o); // partition leader epoch
  o = batch.writeInt8(MAGIC, o);
  const crcAt = o;
  const crcFrom = crcAt + 4;
  o = batch.writeInt16BE((args.compression & 0x07) | (args.transactional ? 16 : 0), crcFrom);
  o = batch.writeInt32BE(count - 1, o); // lastOffsetDelta
  o = batch.writeBigInt64BE(now, o); // firstTimestamp
  o = batch.writeBigInt64BE(now, o); // maxTimestamp
  o = batch.writeBigInt64BE(args.producerId, o);
  o = batch.writeInt16BE(args.producerEpoch, o);
  o = batch.writeInt32BE(data.firstSequence ?? 0, o);
  batch.writeInt32BE(count, o);
  records.copy(batch, BATCH_HEADER_BYTES);
  batch.writeUInt32BE(crc32c(batch, crcFrom), crcAt);
  return batch;
}

/** The request body: transactional id, acks, timeout, then each topic's partitions and their batches. */
export async function encodeProduceRequest(internals: KafkajsInternals, args: ProduceArgs): Promise<Buffer> {
  const options = {
    compression: args.compression ?? 0,
    transactional: Boolean(args.transactionalId),
    producerId: BigInt(args.producerId?.toString() ?? '-1'),
    producerEpoch: args.producerEpoch ?? 0,
  };
  // Partitions are encoded at once, so their compression runs on several of libuv's threads.
  const batches = await Promise.all(
    args.topicData.map((t) => Promise.all(t.partitions.map((p) => encodeBatch(internals, p, options)))),
  );
  const w = new Writer()
    .string(args.transactionalId ?? null)
    .int16(args.acks)
    .int32(args.timeout)
    .int32(args.topicData.length);
  for (const [t, topic] of args.topicData.entries()) {
    w.string(topic.topic).int32(topic.partitions.length);
    for (const [i, p] of topic.partitions.entries())
      w.int32(p.partition).bytesChunks([batches[t]?.[i] as Buffer]);
  }
  return w.toBuffer();
}

const hasTimestamps = (args: ProduceArgs) =>
  args.topicData.some((t) => t.partitions.some((p) => p.messages.some((m) => m.timestamp != null)));

/** kafkajs' own encoder for what this one leaves to it: framed values become plain bytes. */
function unframed(args: ProduceArgs): ProduceArgs {
  const plain = (p: Payload) => (isFramed(p) ? Buffer.concat([p.head, Buffer.from(p.body), p.tail]) : p);
  return {
    ...args,
    topicData: args.topicData.map((t) => ({
      ...t,
      partitions: t.partitions.map((p) => ({
        ...p,
        messages: p.messages.map((m) => ({ ...m, key: plain(m.key), value: plain(m.value) })),
      })),
    })),
  };
}

/**
 * A Produce v3 request builder with kafkajs' interface. Messages with their own timestamps
 * (the connector sets none) take kafkajs' path, whose timestamp arithmetic this does not copy.
 */
export function createProduceRequestBuilder(
  internals: KafkajsInternals,
  original: ProduceRequestBuilder,
): ProduceRequestBuilder {
  return (args) => {
    if (hasTimestamps(args)) return original(unframed(args));
    return {
      apiKey: 0,
      apiVersion: 3,
      apiName: 'Produce',
      expectResponse: () => args.acks !== 0,
      encode: async () => {
        const buf = await encodeProduceRequest(internals, args);
        // An Encoder in all but construction: kafkajs reads `buf`, `offset` and `buffer`.
        const encoder = Object.create(internals.Encoder.prototype) as EncoderLike;
        encoder.buf = buf;
        encoder.offset = buf.length;
        return encoder;
      },
    };
  };
}

/** Messages per partition, in order: kafkajs' version copies the partition's array per message. */
export function groupMessagesPerPartition({
  topic,
  partitionMetadata,
  messages,
  partitioner,
}: {
  topic: string;
  partitionMetadata: unknown[];
  messages: ProduceMessage[];
  partitioner: (args: { topic: string; partitionMetadata: unknown[]; message: ProduceMessage }) => number;
}): Record<number, ProduceMessage[]> {
  const result: Record<number, ProduceMessage[]> = {};
  if (partitionMetadata.length === 0) return result;
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    const list = result[partition];
    if (list) list.push(message);
    else result[partition] = [message];
  }
  return result;
}

export function kafkajsInternals(): KafkajsInternals {
  return {
    Encoder: require('kafkajs/src/protocol/encoder.js'),
    lookupCodec: require('kafkajs/src/protocol/message/compression/index.js').lookupCodec,
  };
}

function replaceExports(modulePath: string, replace: (original: never) => unknown): void {
  const resolved = require.resolve(modulePath);
  const original = require(modulePath);
  const cached = require.cache[resolved];
  if (!cached) throw new Error(`kafkajs module ${modulePath} not in the module cache`);
  cached.exports = replace(original as never);
}

let installedInternals: KafkajsInternals | undefined;

/**
 * Puts the encoder and the grouping in kafkajs' place. Both are captured by kafkajs modules when
 * they load, so this must run before kafkajs itself is loaded: the connector takes kafkajs from
 * `loadPatchedKafkajs` only.
 */
export function loadPatchedKafkajs(): typeof import('kafkajs') {
  if (!installedInternals) {
    for (const m of [SEND_MESSAGES_MODULE, PRODUCE_V3_MODULE]) {
      if (require.cache[require.resolve(m)])
        throw new Error(`kafkajs loaded ${m} before the connector's produce encoder was installed`);
    }
    const internals = kafkajsInternals();
    replaceExports(PRODUCE_V3_MODULE, (original: ProduceRequestBuilder) =>
      createProduceRequestBuilder(internals, original),
    );
    replaceExports(GROUP_MODULE, () => groupMessagesPerPartition);
    installedInternals = internals;
  }
  return require('kafkajs');
}
