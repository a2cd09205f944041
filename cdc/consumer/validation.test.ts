import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ChangeEvent, decodeRecord, type RawRecord } from './envelope.ts';
import { parseLosslessJson } from './lossless-json.ts';
import { aheadOf, headOf, SourceHead } from './source-head.ts';
import { checkEvent, sourceOfTopic, type TopicExpectation, topicExpectations } from './validation.ts';

/**
 * checkEvent on its own: every documented sample passes with the expectation its topic name
 * gives, and each rule names the field, what it expected and what it found. Against the real
 * broker and store: test/consumer/validation.test.ts.
 */
const dir = path.join(import.meta.dirname, 'fixtures');

function wire(value: unknown): string | null {
  if (value === null) return null;
  if (typeof value === 'string') return value;
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `\u0001${v}` : v)).replace(
    /"\\u0001(-?\d+)"/g,
    '$1',
  );
}

const expectFor = (topic: string, extra: Partial<TopicExpectation> = {}): TopicExpectation => ({
  ...sourceOfTopic(topic)!,
  ...extra,
});

function change(topic: string, value: Record<string, unknown>, key: unknown = null): ChangeEvent {
  const raw: RawRecord = { topic, partition: 0, offset: '5', key: wire(key), value: wire(value) };
  const decoded = decodeRecord(raw);
  if (decoded.kind !== 'change') throw new Error(`not a change: ${decoded.kind}`);
  return decoded;
}

const source = (over: Record<string, unknown> = {}) => ({
  version: '3.4.0.Final',
  connector: 'mariadb',
  name: 'legacy',
  ts_ms: 1,
  snapshot: 'false',
  db: 'shop',
  table: 'products',
  server_id: 1,
  file: 'binlog.000002',
  pos: 400,
  row: 0,
  ...over,
});

describe('checkEvent', () => {
  const samples = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({
      file,
      f: parseLosslessJson(fs.readFileSync(path.join(dir, file), 'utf8')) as {
        record: RawRecord & { key: unknown; value: unknown };
        options?: Record<string, unknown>;
        expectError?: string;
      },
    }));
  for (const { file, f } of samples.filter((s) => !s.f.expectError)) {
    it(`passes the documented sample ${file}`, () => {
      const decoded = decodeRecord(
        { ...f.record, key: wire(f.record.key), value: wire(f.record.value) },
        f.options,
      );
      if (decoded.kind !== 'change') return;
      // unwrapped without add.fields: no position, so its projection declares offset order
      const positions = decoded.position ? 'required' : 'offset';
      expect(checkEvent(decoded, expectFor(decoded.topic, { positions }))).toBeNull();
    });
  }

  it('names the field, the expected and the actual value', () => {
    const topic = 'legacy.shop.products';
    const e = change(topic, {
      before: null,
      after: { id: 1 },
      source: source({ table: 'no_such_table' }),
      op: 'c',
    });
    expect(checkEvent(e, expectFor(topic))).toMatchObject({
      code: 'CDC_ERR_EVENT_MISROUTED',
      retriable: false,
      context: { field: 'source.table', expected: '"products"', actual: '"no_such_table"', offset: '5' },
    });
  });

  it('checks an unwrapped row on the table and db it names, and passes one that names none', () => {
    const topic = 'legacy.shop.products';
    const named = change(topic, { id: 1, __table: 'users', __deleted: 'false' });
    expect(checkEvent(named, expectFor(topic))?.code).toBe('CDC_ERR_EVENT_MISROUTED');
    const bare = change(topic, { id: 1, __deleted: 'false' });
    expect(checkEvent(bare, expectFor(topic, { positions: 'offset' }))).toBeNull();
  });

  it('refuses an event without a binlog position unless the topic declares offset order', () => {
    // ordered by Kafka offset, it would sort above every binlog position and pin its row
    const topic = 'legacy.shop.products';
    const bare = change(topic, { id: 1, name: 'forged' });
    expect(checkEvent(bare, expectFor(topic))).toMatchObject({
      code: 'CDC_ERR_EVENT_SHAPE',
      context: { field: 'source.pos', actual: 'missing' },
    });
    expect(checkEvent(bare, expectFor(topic, { positions: 'offset' }))).toBeNull();
    const positioned = change(topic, {
      id: 1,
      __source_file: 'binlog.000002',
      __source_pos: 400,
      __source_row: 0,
      __deleted: 'false',
    });
    expect(checkEvent(positioned, expectFor(topic))).toBeNull();
  });

  it('a declared db and table win over the topic name (routed topics)', () => {
    const topic = 'routed.all-products';
    expect(() => topicExpectations('p', [topic])).toThrow(
      expect.objectContaining({ code: 'CDC_ERR_INVALID_OPTION' }),
    );
    const map = topicExpectations('p', [topic], { [topic]: { db: 'shop', table: 'products' } });
    const e = change(topic, { before: null, after: { id: 1 }, source: source(), op: 'c' });
    expect(checkEvent(e, map.get(topic)!)).toBeNull();
    expect(() => topicExpectations('p', [topic], { other: {} })).toThrow(/not one of its topics/);
  });

  it('checks declared column types, nullability and key columns', () => {
    const topic = 'legacy.shop.products';
    const expectation = expectFor(topic, {
      key: ['id'],
      columns: { id: 'integer', price: { type: 'decimal', nullable: false }, at: 'time', n: 'string' },
    });
    const ok = { id: 1, price: '1.00', at: '2024-06-03T10:16:01.123Z', n: null };
    const ev = (after: Record<string, unknown>, key: unknown = { id: after.id }) =>
      change(topic, { before: null, after, source: source(), op: 'c' }, key);
    expect(checkEvent(ev(ok), expectation)).toBeNull();
    expect(checkEvent(ev({ ...ok, price: null }), expectation)?.context).toMatchObject({
      field: 'after.price',
    });
    expect(checkEvent(ev({ ...ok, at: 'yesterday' }), expectation)?.context).toMatchObject({
      field: 'after.at',
    });
    expect(checkEvent(ev({ ...ok, id: 1.5 }, { id: 1.5 }), expectation)?.code).toBe('CDC_ERR_EVENT_TYPE');
    expect(checkEvent(ev({ ...ok, n: undefined }), expectation)?.context).toMatchObject({
      field: 'after.n',
      actual: 'missing',
    });
    expect(checkEvent(ev(ok, null), expectation)?.code).toBe('CDC_ERR_EVENT_KEY');
    // a delete needs only the key columns in its before image
    const del = change(topic, { before: { id: 1 }, after: null, source: source(), op: 'd' }, { id: 1 });
    expect(checkEvent(del, expectation)).toBeNull();
  });
});

describe('source position', () => {
  const head = headOf([
    { file: 'binlog.000001', size: 5000 },
    { file: 'binlog.000002', size: 700 },
  ]);
  it('is ahead past the newest file or past the end of a listed file, never for a purged one', () => {
    expect(aheadOf(head, 'binlog.000002', 700)).toBeNull();
    expect(aheadOf(head, 'binlog.000002', 701)).toMatch(/ends at 700/);
    expect(aheadOf(head, 'binlog.999999', 4)).toMatch(/newest binlog is binlog.000002/);
    expect(aheadOf(head, 'binlog.000001', 5001)).toMatch(/ends at 5000/);
    expect(aheadOf(head, 'binlog.000000', 99_999_999)).toBeNull();
  });

  it('asks the source only when an event is ahead of its last answer', async () => {
    const answers = [head, headOf([{ file: 'binlog.000002', size: 900 }])];
    const asked: number[] = [];
    const sh = new SourceHead(async () => {
      asked.push(1);
      return answers[Math.min(asked.length - 1, answers.length - 1)]!;
    });
    const at = (file: string, pos: number) =>
      change('legacy.shop.products', {
        before: null,
        after: { id: 1 },
        source: source({ file, pos }),
        op: 'c',
      });
    expect(await sh.check([at('binlog.000002', 600)])).toEqual([null]);
    expect(await sh.check([at('binlog.000002', 650), at('binlog.000001', 10)])).toEqual([null, null]);
    expect(asked.length).toBe(1);
    expect(await sh.check([at('binlog.000002', 850)])).toEqual([null]);
    expect(asked.length).toBe(2);
    const [verdict] = await sh.check([at('binlog.000003', 4)]);
    expect(verdict).toMatch(/newest binlog/);
    expect(asked.length).toBe(3);
  });

  it('turns a failed read into a retriable CDC_ERR_SOURCE_UNAVAILABLE', async () => {
    const sh = new SourceHead(async () => {
      throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    });
    const e = change('legacy.shop.products', { before: null, after: { id: 1 }, source: source(), op: 'c' });
    await expect(sh.check([e])).rejects.toMatchObject({
      code: 'CDC_ERR_SOURCE_UNAVAILABLE',
      retriable: true,
    });
  });
});
