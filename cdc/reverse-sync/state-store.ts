import type { Knex } from 'knex';
import { createOffsetsTable, offsetsTable, positionColumnType } from '../consumer/index.ts';

/**
 * The reverse applier's state, in a database of its own on the legacy server (REVERSE_STATE_DB,
 * default `strangler_reverse`): one connection writes it and the legacy tables in ONE
 * transaction (InnoDB commits both or neither), while the monolith's schema stays as its
 * migrations made it and the forward connector, which captures the shop's database, never sees
 * the bookkeeping.
 *
 * - `reverse_sync_rows`: per legacy row, the store position of the change last applied to it
 *   (legacy tables have no position column): newer-wins, so a re-sent or late change applies
 *   nothing twice;
 * - `reverse_sync_tables`: per legacy table, enabled or not, and from which store position;
 * - `cdc_offsets`: the consumed offsets (consumer library), in the same transaction.
 */
export const rowsTable = 'reverse_sync_rows';
export const tablesTable = 'reverse_sync_tables';

export async function migrateStateStore(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasTable(offsetsTable))) await createOffsetsTable(knex);
  if (!(await knex.schema.hasTable(rowsTable)))
    await knex.schema.createTable(rowsTable, (t) => {
      t.string('table_name', 64).notNullable();
      t.string('row_key', 255).notNullable();
      t.specificType('position_key', positionColumnType);
      t.primary(['table_name', 'row_key']);
    });
  if (!(await knex.schema.hasTable(tablesTable)))
    await knex.schema.createTable(tablesTable, (t) => {
      t.string('table_name', 64).primary();
      t.boolean('enabled').notNullable().defaultTo(false);
      t.datetime('enabled_at', { precision: 3 }).nullable();
      /** Store changes at or after this position apply (the store's binlog end when enabled). */
      t.specificType('enabled_from', positionColumnType);
      t.string('enabled_from_label', 100).nullable();
      t.bigInteger('applied_rows').unsigned().notNullable().defaultTo(0);
    });
}

export interface TableState {
  table: string;
  enabled: boolean;
  enabledAt: string | null;
  enabledFrom: string;
  enabledFromLabel: string | null;
  appliedRows: number;
}

export async function readTableStates(knex: Knex): Promise<Map<string, TableState>> {
  const rows = await knex(tablesTable).select('*');
  return new Map(
    rows.map((r) => [
      String(r.table_name),
      {
        table: String(r.table_name),
        enabled: Boolean(r.enabled),
        enabledAt: r.enabled_at instanceof Date ? r.enabled_at.toISOString() : null,
        enabledFrom: String(r.enabled_from ?? ''),
        enabledFromLabel: r.enabled_from_label === null ? null : String(r.enabled_from_label),
        appliedRows: Number(r.applied_rows),
      },
    ]),
  );
}

/** Enables tables from `from` (a position key); a table already enabled keeps its start. */
export async function enableTables(
  knex: Knex,
  tables: readonly string[],
  from: { key: string; label: string },
): Promise<void> {
  await knex.transaction(async (trx) => {
    const states = await readTableStates(trx);
    for (const table of tables) {
      if (states.get(table)?.enabled) continue;
      await trx(tablesTable)
        .insert({
          table_name: table,
          enabled: true,
          enabled_at: trx.fn.now(3),
          enabled_from: from.key,
          enabled_from_label: from.label,
        })
        .onConflict('table_name')
        .merge(['enabled', 'enabled_at', 'enabled_from', 'enabled_from_label']);
    }
  });
}

export async function disableTables(knex: Knex, tables: readonly string[]): Promise<void> {
  if (tables.length === 0) return;
  await knex(tablesTable).whereIn('table_name', tables).update({ enabled: false });
}

/** Stored positions of these legacy rows (`table\u0000rowKey` → position key). */
export async function storedPositions(
  trx: Knex.Transaction,
  rows: { table: string; rowKey: string }[],
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500);
    const stored = await trx(rowsTable)
      .whereIn(
        ['table_name', 'row_key'],
        chunk.map((r) => [r.table, r.rowKey]),
      )
      // read under the row locks the write below takes: two appliers never interleave on a row
      .forUpdate()
      .select('table_name', 'row_key', 'position_key');
    for (const s of stored) found.set(`${s.table_name}\u0000${s.row_key}`, String(s.position_key));
  }
  return found;
}

export async function savePositions(
  trx: Knex.Transaction,
  rows: { table: string; rowKey: string; positionKey: string }[],
): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) {
    await trx(rowsTable)
      .insert(
        rows
          .slice(i, i + 500)
          .map((r) => ({ table_name: r.table, row_key: r.rowKey, position_key: r.positionKey })),
      )
      .onConflict(['table_name', 'row_key'])
      .merge(['position_key']);
  }
}

export async function countAppliedRows(trx: Knex.Transaction, counts: Map<string, number>): Promise<void> {
  for (const [table, n] of counts)
    await trx(tablesTable)
      .insert({ table_name: table, applied_rows: n })
      .onConflict('table_name')
      .merge({ applied_rows: trx.raw('applied_rows + VALUES(applied_rows)') });
}
