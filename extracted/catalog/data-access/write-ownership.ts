import type { Knex } from 'knex';
import type { SecondWriterAlarm, WriteOwnership } from '../../../cdc/reverse-sync/index.ts';

/**
 * The catalog's write ownership, in its own store so a restart keeps it: the legacy tables whose
 * writes moved to the service, and per owned table what the forward projection did not apply
 * (echoes of the reverse applier's writes, and changes by a second writer). Both are written
 * in the projection's batch transaction, with the offsets, so a crash counts nothing twice.
 */
const ownershipTable = 'catalog_write_ownership';
const eventsTable = 'catalog_owned_table_events';

/** Legacy tables the catalog can own: the ones its forward projection reads. */
export const ownableTables = ['products', 'inventory'] as const;

/** Statements kept for a second writer are cut here: enough to recognise the job. */
const statementChars = 1000;

/** DATETIME values come back as Dates (every session runs in UTC, lib/knex-mysql.ts). */
const iso = (value: unknown): string | null => (value instanceof Date ? value.toISOString() : null);

export async function ownedTables(knex: Knex): Promise<Set<string>> {
  const rows = await knex(ownershipTable).select('table_name');
  return new Set(rows.map((r) => String(r.table_name)));
}

export async function readOwnership(knex: Knex): Promise<WriteOwnership> {
  const [owned, events] = await Promise.all([
    knex(ownershipTable).select('table_name', { since: 'owned_since' }).orderBy('table_name'),
    knex(eventsTable).where('second_writer_changes', '>', 0).select('*'),
  ]);
  const secondWriters: Record<string, SecondWriterAlarm> = {};
  for (const e of events)
    secondWriters[String(e.table_name)] = {
      changes: Number(e.second_writer_changes),
      lastAt: iso(e.last_at) ?? '',
      lastWriter: String(e.last_writer ?? 'unknown'),
      lastStatement: e.last_statement === null ? null : String(e.last_statement),
      lastPosition: e.last_position === null ? null : String(e.last_position),
    };
  const since = owned.reduce<string | null>((max, r) => {
    const s = iso(r.since);
    return s !== null && (max === null || s > max) ? s : max;
  }, null);
  return { owned: owned.map((r) => String(r.table_name)), since, secondWriters };
}

/**
 * Replaces the owned set. A table that stays owned keeps its `since` and its alarms; a table
 * that leaves loses them (an alarm is about a time the service owned the table); a new one
 * starts now with none.
 */
export async function setOwnership(knex: Knex, owned: readonly string[]): Promise<void> {
  await knex.transaction(async (trx) => {
    const current = await ownedTables(trx);
    const keep = owned.filter((t) => current.has(t));
    await trx(ownershipTable).whereNotIn('table_name', keep).delete();
    await trx(eventsTable).whereNotIn('table_name', keep).delete();
    const added = owned.filter((t) => !current.has(t));
    if (added.length > 0)
      await trx(ownershipTable).insert(added.map((t) => ({ table_name: t, owned_since: trx.fn.now(3) })));
  });
}

/** What the forward projection passed over on owned tables in one batch, per legacy table. */
export interface OwnedTableEvents {
  echoes: number;
  secondWriterChanges: number;
  last?: { atMs: number; writer: string; statement: string | null; position: string | null };
}

export async function recordOwnedTableEvents(
  trx: Knex.Transaction,
  byTable: Map<string, OwnedTableEvents>,
): Promise<void> {
  for (const [table, e] of byTable) {
    const last = e.last
      ? {
          last_at: new Date(e.last.atMs).toISOString().replace('T', ' ').replace('Z', ''),
          last_writer: e.last.writer.slice(0, 255),
          last_statement: e.last.statement?.slice(0, statementChars) ?? null,
          last_position: e.last.position,
        }
      : {};
    await trx(eventsTable)
      .insert({ table_name: table, echoes: e.echoes, second_writer_changes: e.secondWriterChanges, ...last })
      .onConflict('table_name')
      .merge({
        echoes: trx.raw('echoes + VALUES(echoes)'),
        second_writer_changes: trx.raw('second_writer_changes + VALUES(second_writer_changes)'),
        ...Object.fromEntries(Object.keys(last).map((c) => [c, trx.raw(`VALUES(${c})`)])),
      });
  }
}

/** Per legacy table, echoes dropped and second-writer changes seen while owned (for /metrics). */
export async function ownedTableCounts(
  knex: Knex,
): Promise<{ table: string; echoes: number; secondWriterChanges: number }[]> {
  const rows = await knex(eventsTable).select('table_name', 'echoes', 'second_writer_changes');
  return rows.map((r) => ({
    table: String(r.table_name),
    echoes: Number(r.echoes),
    secondWriterChanges: Number(r.second_writer_changes),
  }));
}
