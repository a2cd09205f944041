import type { Knex } from 'knex';

/**
 * Consumed positions kept in the projection's own database, written in the same transaction
 * as the rows they produced: after a crash the store and its offsets agree, whatever Kafka's
 * group offsets say (those are committed too, but only as a hint for tools).
 */
export const offsetsTable = 'cdc_offsets';

export interface StoredOffset {
  topic: string;
  partition: number;
  /** The next Kafka offset to read (last applied + 1). */
  nextOffset: bigint;
  /** positionKey() of the newest applied event, '' when none carried a source position. */
  positionKey: string;
  /** Human form of that position ("mysql-bin.000003:2731"), for headers and health. */
  positionLabel: string;
  sourceTsMs: number | null;
}

/** For the service's own knex migrations. */
export async function createOffsetsTable(knex: Knex): Promise<void> {
  await knex.schema.createTable(offsetsTable, (t) => {
    t.string('group_id', 200).notNullable();
    t.string('topic', 249).notNullable();
    t.integer('partition').notNullable();
    t.bigInteger('next_offset').notNullable();
    t.string('position_key', 64).notNullable().defaultTo('');
    t.string('position_label', 300).notNullable().defaultTo('');
    t.bigInteger('source_ts_ms').nullable();
    t.datetime('updated_at', { precision: 3 }).notNullable();
    t.primary(['group_id', 'topic', 'partition']);
  });
}

export async function dropOffsetsTable(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists(offsetsTable);
}

export const offsetKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export async function loadOffsets(knex: Knex, groupId: string): Promise<Map<string, StoredOffset>> {
  const rows = await knex(offsetsTable).where({ group_id: groupId });
  const map = new Map<string, StoredOffset>();
  for (const row of rows) {
    map.set(offsetKey(row.topic, Number(row.partition)), {
      topic: row.topic,
      partition: Number(row.partition),
      nextOffset: BigInt(row.next_offset),
      positionKey: row.position_key,
      positionLabel: row.position_label,
      sourceTsMs: row.source_ts_ms === null ? null : Number(row.source_ts_ms),
    });
  }
  return map;
}

export async function saveOffsets(
  trx: Knex.Transaction,
  groupId: string,
  offsets: StoredOffset[],
): Promise<void> {
  if (offsets.length === 0) return;
  await trx(offsetsTable)
    .insert(
      offsets.map((o) => ({
        group_id: groupId,
        topic: o.topic,
        partition: o.partition,
        next_offset: o.nextOffset.toString(),
        position_key: o.positionKey,
        position_label: o.positionLabel,
        source_ts_ms: o.sourceTsMs,
        updated_at: trx.raw('NOW(3)'),
      })),
    )
    .onConflict(['group_id', 'topic', 'partition'])
    .merge();
}
