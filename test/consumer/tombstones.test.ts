import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type ChangeEvent,
  eventPosition,
  type Projection,
  ProjectionRunner,
  positionColumnType,
  upsertNewer,
} from '../../cdc/consumer/index.ts';
import { until, useConsumerRig } from './support.ts';

/**
 * Null-valued records (tombstones) through the runner, on the real broker and MariaDB. With
 * ExtractNewRecordState's `delete.tombstone.handling.mode=tombstone` a delete arrives only as a
 * tombstone under the row's key: `tombstones: 'delete'` must turn it into a delete event for the
 * handler, `ignore` (the default, for full envelopes where the `d` came first) must skip it.
 */
const rig = useConsumerRig('tombstones');

/** A fresh one-partition topic and read table; the projection marks deletes newer-wins. */
async function setup(tombstones: Projection['tombstones']) {
  const suffix = randomBytes(3).toString('hex');
  const topic = `legacy.shop.items_${suffix}`;
  const table = `items_${suffix}`;
  await rig.knex.schema.createTable(table, (t) => {
    t.integer('id').primary();
    t.string('name', 100).nullable();
    t.boolean('deleted').notNullable().defaultTo(false);
    t.specificType('src_pos', positionColumnType);
  });
  const admin = rig.kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
  await admin.disconnect();
  const seen: ChangeEvent[] = [];
  const runner = new ProjectionRunner({
    brokers: rig.broker.brokers,
    groupId: `g-${topic}`,
    knex: rig.knex,
    projection: {
      name: 'tombstones',
      topics: [topic],
      // unwrapped rows, some without add.fields' source position: ordered by offset
      sources: { [topic]: { positions: 'offset' } },
      tombstones,
      async handle(event, trx) {
        seen.push(event);
        const row = (event.after ?? event.before)!;
        await upsertNewer(
          trx,
          table,
          [
            {
              id: row.id,
              // A tombstone's before is the key: no name, the delete keeps the row's last one.
              ...(event.after ? { name: event.after.name } : {}),
              deleted: event.op === 'd' ? 1 : 0,
              src_pos: eventPosition(event),
            },
          ],
          { keyColumns: ['id'], positionColumn: 'src_pos' },
        );
      },
    },
  });
  await runner.start();
  return {
    runner,
    seen,
    send: (records: { key: string; value: string | null }[]) =>
      rig.producer.send({ topic, acks: -1, messages: records }),
    /** Waits until the store holds every offset up to `nextOffset`. */
    applied: (nextOffset: number) =>
      until(`offset ${nextOffset} stored`, async () => {
        const row = await rig.knex('cdc_offsets').where({ topic }).first();
        return row !== undefined && String(row.next_offset) === String(nextOffset);
      }),
    rows: () => rig.knex(table).orderBy('id').select('id', 'name', 'deleted'),
  };
}

const key = (id: number) => JSON.stringify({ id });
/** The key with JsonConverter schemas, as Debezium writes it with schemas.enable=true. */
const keyWithSchema = (id: number) =>
  JSON.stringify({
    schema: { type: 'struct', name: 'legacy.shop.items.Key', fields: [{ field: 'id', type: 'int32' }] },
    payload: { id },
  });
/** An ExtractNewRecordState row, with the source coordinates add.fields=source.file,source.pos adds. */
const row = (id: number, name: string, pos?: number) =>
  JSON.stringify({
    id,
    name,
    ...(pos === undefined ? {} : { __source_file: 'mariadb-bin.000001', __source_pos: pos, __source_row: 0 }),
  });

describe('tombstones', () => {
  it("'delete': a tombstone (null value, or a null payload with schemas) deletes the key's row", async () => {
    const t = await setup('delete');
    await t.send([
      { key: key(1), value: row(1, 'one') },
      { key: key(2), value: row(2, 'two') },
      { key: key(3), value: row(3, 'three') },
      { key: key(1), value: null },
      { key: keyWithSchema(3), value: JSON.stringify({ schema: null, payload: null }) },
    ]);
    await t.applied(5);
    expect(await t.rows()).toEqual([
      { id: 1, name: 'one', deleted: 1 },
      { id: 2, name: 'two', deleted: 0 },
      { id: 3, name: 'three', deleted: 1 },
    ]);
    expect(t.seen.slice(3)).toMatchObject([
      { op: 'd', offset: '3', before: { id: 1 }, after: null, key: { id: 1 }, unwrapped: true },
      { op: 'd', offset: '4', before: { id: 3 }, after: null, key: { id: 3 }, unwrapped: true },
    ]);
    expect(t.runner.counters).toMatchObject({ applied: 5, ignored: 0, deadLettered: 0 });
    await t.runner.stop();
  });

  it("'ignore' (the default): the tombstone after a full envelope's delete reaches no handler", async () => {
    const t = await setup(undefined);
    await t.send([
      { key: key(1), value: row(1, 'one') },
      { key: key(1), value: null },
      { key: key(2), value: row(2, 'two') },
    ]);
    await t.applied(3);
    expect(await t.rows()).toEqual([
      { id: 1, name: 'one', deleted: 0 },
      { id: 2, name: 'two', deleted: 0 },
    ]);
    expect(t.seen.map((e) => e.offset)).toEqual(['0', '2']);
    expect(t.runner.counters).toMatchObject({ applied: 2, ignored: 1 });
    await t.runner.stop();
  });

  it("'delete' on rows with source positions: the delete orders after the row, before its re-insert", async () => {
    const t = await setup('delete');
    await t.send([
      { key: key(1), value: row(1, 'one', 100) },
      { key: key(2), value: row(2, 'two', 200) },
    ]);
    await t.applied(2);
    // The tombstone (deleted at a binlog position it does not carry) comes in a later batch,
    // followed by a connector re-send of the older insert, which must not bring the row back.
    await t.send([
      { key: key(1), value: null },
      { key: key(1), value: row(1, 'one', 100) },
    ]);
    await t.applied(4);
    expect(await t.rows()).toEqual([
      { id: 1, name: 'one', deleted: 1 },
      { id: 2, name: 'two', deleted: 0 },
    ]);
    // Just after the partition's newest position (item 2's), not its Kafka offset.
    expect(t.seen[2]).toMatchObject({ op: 'd', positionKey: `${t.seen[1]!.positionKey}~` });
    // The same key inserted again later in the binlog: it wins over the delete.
    await t.send([{ key: key(1), value: row(1, 'one again', 400) }]);
    await t.applied(5);
    expect(await t.rows()).toEqual([
      { id: 1, name: 'one again', deleted: 0 },
      { id: 2, name: 'two', deleted: 0 },
    ]);
    await t.runner.stop();
  });
});
