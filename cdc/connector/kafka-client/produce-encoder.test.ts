import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ApiKey } from '../../kafka-protocol/api-keys.ts';
import { checkProducedBatch, decodeRecordBatch, decodeRecords } from '../../kafka-protocol/record-batch.ts';
import { ConnectorError } from '../errors.ts';
import { encodeBatch, type ProduceMessage, prepareRecords } from './produce-encoder.ts';
import { requireVersions } from './requests.ts';

function messages(count: number, seed: number): ProduceMessage[] {
  const headers = { '__debezium.context.taskId': '0', 'ü-header': Buffer.from('é😀'), many: ['a', 'bb'] };
  const sizes = [0, 1, 127, 128, 300, 16_383, 16_384, 70_000];
  return Array.from({ length: count }, (_, i) => {
    const n = i + seed;
    const size = sizes[n % sizes.length] as number;
    const text = `{"v":"${'x'.repeat(size)}é😀"}`;
    return {
      key: n % 3 === 0 ? null : `{"id":${n}}`,
      value:
        n % 4 === 0
          ? null
          : n % 2
            ? // Framed: the table's constant head and tail around the event's text.
              { head: Buffer.from(text.slice(0, 3)), body: text.slice(3, -1), tail: Buffer.from('}') }
            : Buffer.alloc(size, n % 251),
      headers: n % 2 ? headers : undefined,
    };
  });
}

/** Bytes as base64 text: comparing large Buffers field by field is slow in expect. */
const b64 = (b: Buffer | null) => (b === null ? null : b.toString('base64'));
const bytesOf = (p: ProduceMessage['value']) =>
  b64(
    p === null || p === undefined
      ? null
      : typeof p === 'string'
        ? Buffer.from(p)
        : Buffer.isBuffer(p)
          ? p
          : Buffer.concat([p.head, Buffer.from(p.body), p.tail]),
  );

const headerList = (h: ProduceMessage['headers']) =>
  Object.entries(h ?? {}).flatMap(([k, v]) =>
    (Array.isArray(v) ? v : [v]).map((one) => [k, bytesOf(one as Buffer | string | null)] as const),
  );

/** What the broker's decoder (cdc/kafka-protocol) reads back out of one of our batches. */
function readBack(batch: Buffer) {
  expect(checkProducedBatch(batch, 64 * 1024 * 1024).ok).toBe(true);
  const header = decodeRecordBatch(batch);
  const section = header.compression === 1 ? gunzipSync(header.records) : header.records;
  return { header, records: decodeRecords(section, header.count) };
}

describe("the connector's record encoder, read back by the shared record-batch decoder", () => {
  for (const compression of ['none', 'gzip'] as const) {
    it(`${compression}: every key, framed value, header and varint width comes back byte for byte`, async () => {
      const list = messages(300, 0);
      const before = Date.now();
      const { header, records } = readBack(await encodeBatch(list, compression));
      expect(header).toMatchObject({
        baseOffset: 0,
        compression: compression === 'gzip' ? 1 : 0,
        transactional: false,
        count: 300,
        lastOffsetDelta: 299,
        producerId: -1n,
      });
      expect(header.firstTimestamp).toBeGreaterThanOrEqual(before);
      expect(header.maxTimestamp).toBe(header.firstTimestamp);
      expect(
        records.map((r) => ({
          offsetDelta: r.offsetDelta,
          timestampDelta: r.timestampDelta,
          key: b64(r.key),
          value: b64(r.value),
          headers: r.headers.map(([k, v]) => [k, b64(v)]),
        })),
      ).toEqual(
        list.map((m, i) => ({
          offsetDelta: i,
          timestampDelta: 0,
          key: bytesOf(m.key),
          value: bytesOf(m.value),
          headers: headerList(m.headers),
        })),
      );
    });
  }

  it('uses records prepared ahead only for a partition holding exactly those messages', async () => {
    const list = messages(40, 1);
    prepareRecords(list.slice(0, 20), 'gzip');
    const same = readBack(await encodeBatch(list.slice(0, 20), 'gzip'));
    expect(same.records.map((r) => b64(r.value))).toEqual(list.slice(0, 20).map((m) => bytesOf(m.value)));
    // Same first message, different contents: encoded afresh.
    prepareRecords(list.slice(0, 20), 'gzip');
    const other = [...list.slice(0, 19), list[25] as ProduceMessage];
    const afresh = readBack(await encodeBatch(other, 'gzip'));
    expect(afresh.records.map((r) => b64(r.value))).toEqual(other.map((m) => bytesOf(m.value)));
  });
});

describe('version negotiation', () => {
  const address = { host: 'old-kafka', port: 9092 };
  it('accepts a broker offering Produce v3 and Metadata v4, refuses one that does not, naming what it offers', () => {
    const offer = (produce: [number, number]) =>
      new Map([
        [ApiKey.Produce, { min: produce[0], max: produce[1] }],
        [ApiKey.Metadata, { min: 0, max: 12 }],
      ]);
    expect(() => requireVersions(address, offer([3, 11]))).not.toThrow();
    let err: unknown;
    try {
      requireVersions(address, offer([0, 2]));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConnectorError);
    expect((err as ConnectorError).code).toBe('CONNECTOR_ERR_KAFKA_VERSION');
    expect((err as Error).message).toMatch(/old-kafka:9092 does not take Produce v3 \(it offers v0-v2\)/);
    expect(() => requireVersions(address, new Map())).toThrow(/Produce v3 \(it offers none\)/);
  });
});
