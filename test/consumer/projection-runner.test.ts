import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type ChangeEvent,
  eventPosition,
  type Projection,
  ProjectionRunner,
  poisonEvent,
  positionColumnType,
  upsertNewer,
} from '../../cdc/consumer/index.ts';
import { envelope, until, useConsumerRig } from './support.ts';

/**
 * The projection runtime against the real broker (separate process) and real MariaDB:
 * batch apply with offsets in one transaction, duplicates and late events ignored, poison
 * records dead-lettered with error headers while the stream goes on, restart from stored offsets.
 */
const rig = useConsumerRig('consumer');

const priceSchema = {
  type: 'bytes',
  name: 'org.apache.kafka.connect.data.Decimal',
  parameters: { scale: '2' },
};

/** 12.30 → base64 two's complement of 1230. */
function price(cents: number): string {
  let hex = cents.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if (bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return bytes.toString('base64');
}

function itemsProjection(topic: string, seen: ChangeEvent[] = []): Projection {
  return {
    name: 'items',
    topics: [topic],
    // the topics here are legacy.shop.items_<suffix>; the events name table items
    sources: { [topic]: { table: 'items' } },
    decode: { columnHints: { items: { price: priceSchema } } },
    async handleBatch(events, trx) {
      seen.push(...events);
      for (const e of events)
        if (e.after?.name === 'reject-me') throw poisonEvent(`item ${e.after.id} is refused`);
      await upsertNewer(
        trx,
        'items',
        events.map((e) => {
          const row = (e.after ?? e.before)!;
          return {
            id: row.id,
            name: row.name,
            price: row.price,
            deleted: e.op === 'd' ? 1 : 0,
            src_pos: eventPosition(e),
          };
        }),
        { keyColumns: ['id'], positionColumn: 'src_pos' },
      );
    },
  };
}

async function rows() {
  return rig.knex('items').orderBy('id').select('id', 'name', 'price', 'deleted');
}

// After the rig's beforeAll (hooks run in order): its store is there.
beforeAll(async () => {
  await rig.knex.schema.createTable('items', (t) => {
    t.integer('id').primary();
    t.string('name', 100);
    t.decimal('price', 10, 2);
    t.boolean('deleted').notNullable().defaultTo(false);
    t.specificType('src_pos', positionColumnType);
  });
});

describe('ProjectionRunner', () => {
  it('applies batches, ignores re-delivered and older events, dead-letters poison and goes on, resumes from stored offsets', async () => {
    const topic = `legacy.shop.items_${randomBytes(3).toString('hex')}`;
    const admin = rig.kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic, numPartitions: 1 },
        { topic: `${topic}.dlq`, numPartitions: 1 },
      ],
    });
    const send = (values: (string | null)[], keys?: string[]) =>
      rig.producer.send({
        topic,
        acks: -1,
        messages: values.map((value, i) => ({ key: keys?.[i] ?? null, value })),
      });

    await send([
      envelope('r', { id: 1, name: 'mug', price: price(1230) }, 100),
      envelope('r', { id: 2, name: 'cup', price: price(99) }, 100),
      envelope('c', { id: 3, name: 'pot', price: price(100000) }, 200),
      envelope('u', { id: 1, name: 'mug v2', price: price(1299) }, 300),
    ]);
    const firstSeen: ChangeEvent[] = [];
    const runner = new ProjectionRunner({
      brokers: rig.broker.brokers,
      groupId: `g-${topic}`,
      knex: rig.knex,
      projection: itemsProjection(topic, firstSeen),
      retry: { baseMs: 20, capMs: 200 },
    });
    await runner.start();
    await until('converged', async () => (await rows()).length === 3 && (await rows())[0].name === 'mug v2');
    expect(await rows()).toEqual([
      { id: 1, name: 'mug v2', price: '12.99', deleted: 0 },
      { id: 2, name: 'cup', price: '0.99', deleted: 0 },
      { id: 3, name: 'pot', price: '1000.00', deleted: 0 },
    ]);

    // A connector re-send (same positions) and a late event (older position) change nothing;
    // a poison record and a refused event are dead-lettered; the next good event still lands.
    await send([
      envelope('u', { id: 1, name: 'mug', price: price(1230) }, 100),
      envelope('c', { id: 3, name: 'pot', price: price(100000) }, 200),
      envelope('u', { id: 2, name: 'stale cup', price: price(1) }, 150),
      '{"before": nul',
      envelope('c', { id: 4, name: 'reject-me', price: price(1) }, 400),
      envelope('d', { id: 2, name: 'cup', price: price(99) }, 500),
      envelope('c', { id: 5, name: 'bowl', price: price(500) }, 600),
    ]);
    await until('converged', async () => (await rows()).some((r) => r.id === 5));
    expect(await rows()).toEqual([
      { id: 1, name: 'mug v2', price: '12.99', deleted: 0 },
      { id: 2, name: 'cup', price: '0.99', deleted: 1 },
      { id: 3, name: 'pot', price: '1000.00', deleted: 0 },
      { id: 5, name: 'bowl', price: '5.00', deleted: 0 },
    ]);
    expect(runner.counters.deadLettered).toBe(2);
    expect(runner.storePosition()).toMatchObject({ label: 'mariadb-bin.000001:600' });

    // Kafka re-delivers old offsets (a consumer rewound to 0): the store's offsets filter them.
    const handledBefore = firstSeen.length;
    const batchesBefore = runner.counters.batches;
    const rowsBefore = await rows();
    (runner as unknown as { consumer: { seek(o: object): void } }).consumer.seek({
      topic,
      partition: 0,
      offset: '0',
    });
    await rig.producer.send({
      topic,
      messages: [{ value: envelope('c', { id: 6, name: 'plate', price: price(700) }, 650) }],
    });
    await until('rewound stream caught up', async () => (await rows()).some((r) => r.id === 6));
    expect(firstSeen.slice(handledBefore).map((e) => e.offset)).toEqual(['11']);
    expect(runner.counters.batches).toBeGreaterThan(batchesBefore);
    expect((await rows()).filter((r) => r.id !== 6)).toEqual(rowsBefore);

    const dlq: { value: string; headers: Record<string, string> }[] = [];
    const reader = rig.kafka.consumer({ groupId: `dlq-${topic}` });
    await reader.connect();
    await reader.subscribe({ topic: `${topic}.dlq`, fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        dlq.push({
          value: String(message.value),
          headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
        });
      },
    });
    await until('converged', () => dlq.length === 2);
    await reader.disconnect();
    expect(dlq[0]).toMatchObject({
      value: '{"before": nul',
      headers: {
        'strangler.errors.code': 'CDC_ERR_EVENT_NOT_JSON',
        '__connect.errors.topic': topic,
        '__connect.errors.offset': '7',
      },
    });
    expect(dlq[1]!.headers).toMatchObject({
      'strangler.errors.code': 'CDC_ERR_HANDLER_REJECTED',
      '__connect.errors.exception.message': 'item 4 is refused',
    });
    const stored = await rig.knex('cdc_offsets').where({ topic }).first();
    expect(String(stored.next_offset)).toBe('12');
    await runner.stop();

    // Kafka's group offsets are deleted (as if lost): the store's offsets still decide, so a
    // new runner re-reads nothing that was applied.
    await admin.deleteGroups([`g-${topic}`]).catch(() => undefined);
    const seen: ChangeEvent[] = [];
    const again = new ProjectionRunner({
      brokers: rig.broker.brokers,
      groupId: `g-${topic}`,
      knex: rig.knex,
      projection: itemsProjection(topic, seen),
    });
    await again.start();
    await send([envelope('u', { id: 5, name: 'bowl v2', price: price(550) }, 700)]);
    await until('converged', async () => (await rows()).find((r) => r.id === 5)?.name === 'bowl v2');
    expect(seen.map((e) => e.offset)).toEqual(['12']);
    const lag = await again.lag();
    expect(lag.eventsBehind).toBe(0);
    await again.stop();
    await admin.disconnect();
  });

  it('retries a transient store failure and applies once the store is back', async () => {
    const topic = `legacy.shop.items_${randomBytes(3).toString('hex')}`;
    let failures = 2;
    const base = itemsProjection(topic);
    const flaky: Projection = {
      ...base,
      async handleBatch(events, trx) {
        if (failures-- > 0)
          throw Object.assign(new Error('Deadlock found when trying to get lock'), {
            code: 'ER_LOCK_DEADLOCK',
            errno: 1213,
          });
        await base.handleBatch!(events, trx);
      },
    };
    const runner = new ProjectionRunner({
      brokers: rig.broker.brokers,
      groupId: `g-${topic}`,
      knex: rig.knex,
      projection: flaky,
      retry: { baseMs: 10, capMs: 50 },
    });
    await runner.start();
    await rig.producer.send({
      topic,
      messages: [{ value: envelope('c', { id: 10, name: 'retry', price: price(1) }, 900) }],
    });
    await until('converged', async () => (await rows()).some((r) => r.id === 10));
    expect(runner.counters.retries).toBe(2);
    expect(runner.counters.deadLettered).toBe(0);
    await runner.stop();
  });

  it('waits out a real store failure (read table renamed away) and applies once it is back', async () => {
    const topic = `legacy.shop.items_${randomBytes(3).toString('hex')}`;
    const runner = new ProjectionRunner({
      brokers: rig.broker.brokers,
      groupId: `g-${topic}`,
      knex: rig.knex,
      projection: itemsProjection(topic),
      retry: { baseMs: 20, capMs: 100 },
    });
    await runner.start();
    await rig.knex.schema.renameTable('items', 'items_away');
    try {
      await rig.producer.send({
        topic,
        messages: [{ value: envelope('c', { id: 20, name: 'outage', price: price(1) }, 950) }],
      });
      await until('retrying against the missing table', () => runner.counters.retries >= 3);
    } finally {
      await rig.knex.schema.renameTable('items_away', 'items');
    }
    await until('applied after the store came back', async () => (await rows()).some((r) => r.id === 20));
    expect(runner.counters.deadLettered).toBe(0);
    await runner.stop();
  });

  it('refuses a projection without topics', () => {
    expect(
      () =>
        new ProjectionRunner({
          brokers: ['127.0.0.1:1'],
          groupId: 'g',
          knex: rig.knex,
          projection: { name: 'x', topics: [], handle: async () => {} },
        }),
    ).toThrow(expect.objectContaining({ code: 'CDC_ERR_INVALID_OPTION' }));
  });
});
