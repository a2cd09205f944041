import type { Knex } from 'knex';
import { createOffsetsTable, offsetsTable } from '../consumer/index.ts';
import type { ObservedWrite, WriterKind } from './writer-of.ts';

/**
 * The writer map's store: per source table, writer and minute, how many row changes and when
 * the first and last were written (the binlog's time, `source.ts_ms`). Minute buckets keep the
 * table small however busy the shop is, and let any window be asked for later; a window is
 * widened to whole minutes, outward, so a question about "the last hour" never misses a write.
 */
export const observationsTable = 'writer_observations';
/** Per topic partition, the newest binlog position counted: the connector's re-sends are not counted twice. */
export const highWaterTable = 'writer_high_water';

const writerKinds: WriterKind[] = ['route', 'untagged', 'unknown', 'origin'];

export async function migrateWriterStore(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasTable(offsetsTable))) await createOffsetsTable(knex);
  if (!(await knex.schema.hasTable(observationsTable))) {
    await knex.schema.createTable(observationsTable, (t) => {
      t.string('db_name', 64).notNullable();
      t.string('table_name', 64).notNullable();
      t.string('writer', 255).notNullable();
      t.enum('kind', writerKinds).notNullable();
      t.datetime('minute', { precision: 0 }).notNullable();
      t.bigInteger('changes').unsigned().notNullable();
      t.datetime('first_at', { precision: 3 }).notNullable();
      t.datetime('last_at', { precision: 3 }).notNullable();
      t.string('last_traceparent', 55).nullable();
      t.text('last_statement').nullable();
      t.primary(['db_name', 'table_name', 'writer', 'minute']);
      t.index(['minute'], 'writer_observations_minute_index');
    });
  }
  // a store made before the `origin` kind: widen the enum (cheap, and a no-op once done)
  const [kind] = (await knex('information_schema.columns')
    .where({ table_schema: knex.raw('DATABASE()'), table_name: observationsTable, column_name: 'kind' })
    .select({ type: 'column_type' })) as { type: string }[];
  if (kind && !kind.type.includes("'origin'"))
    await knex.raw(
      `ALTER TABLE ${observationsTable} MODIFY kind ENUM(${writerKinds.map((k) => `'${k}'`).join(', ')}) NOT NULL`,
    );
  if (!(await knex.schema.hasTable(highWaterTable))) {
    await knex.schema.createTable(highWaterTable, (t) => {
      t.string('topic', 249).notNullable();
      t.integer('partition_no').notNullable();
      t.string('position_key', 200).notNullable();
      t.primary(['topic', 'partition_no']);
    });
  }
}

/** One change, as the projection counts it. */
export interface Observation extends ObservedWrite {
  db: string;
  table: string;
  atMs: number;
}

const minuteOf = (ms: number) => Math.floor(ms / 60_000) * 60_000;
/** Statements kept for an untagged writer are cut here: enough to recognise the job. */
const statementChars = 1000;

/** Adds a batch of observations (folded per bucket first: one statement per bucket and batch). */
export async function recordObservations(trx: Knex.Transaction, observations: Observation[]): Promise<void> {
  const buckets = new Map<
    string,
    Record<string, unknown> & { changes: number; first: number; last: number }
  >();
  for (const o of observations) {
    const minute = minuteOf(o.atMs);
    const key = `${o.db}\u0000${o.table}\u0000${o.writer}\u0000${minute}`;
    const b = buckets.get(key);
    if (b) {
      b.changes++;
      b.first = Math.min(b.first, o.atMs);
      if (o.atMs >= b.last) {
        b.last = o.atMs;
        b.last_traceparent = o.traceparent ?? b.last_traceparent;
        b.last_statement = o.statement?.slice(0, statementChars) ?? b.last_statement;
      }
    } else {
      buckets.set(key, {
        db_name: o.db,
        table_name: o.table,
        writer: o.writer,
        kind: o.kind,
        minute: new Date(minute),
        changes: 1,
        first: o.atMs,
        last: o.atMs,
        last_traceparent: o.traceparent,
        last_statement: o.statement?.slice(0, statementChars) ?? null,
      });
    }
  }
  if (buckets.size === 0) return;
  const rows = [...buckets.values()].map(({ first, last, ...row }) => ({
    ...row,
    first_at: new Date(first),
    last_at: new Date(last),
  }));
  // The later write's trace and statement win; counts add up.
  await trx(observationsTable)
    .insert(rows)
    .onConflict(['db_name', 'table_name', 'writer', 'minute'])
    .merge({
      changes: trx.raw('changes + VALUES(changes)'),
      first_at: trx.raw('LEAST(first_at, VALUES(first_at))'),
      last_traceparent: trx.raw(
        'IF(VALUES(last_at) >= last_at, COALESCE(VALUES(last_traceparent), last_traceparent), last_traceparent)',
      ),
      last_statement: trx.raw(
        'IF(VALUES(last_at) >= last_at, COALESCE(VALUES(last_statement), last_statement), last_statement)',
      ),
      // Last: the IFs above read the row's last_at before this changes it.
      last_at: trx.raw('GREATEST(last_at, VALUES(last_at))'),
    });
}

export async function highWaters(trx: Knex.Transaction, topics: string[]): Promise<Map<string, string>> {
  const rows = await trx(highWaterTable)
    .whereIn('topic', topics)
    .select('topic', 'partition_no', 'position_key');
  return new Map(rows.map((r) => [`${r.topic}/${r.partition_no}`, String(r.position_key)]));
}

export async function saveHighWaters(trx: Knex.Transaction, marks: Map<string, string>): Promise<void> {
  if (marks.size === 0) return;
  const rows = [...marks].map(([key, position_key]) => {
    const cut = key.lastIndexOf('/');
    return { topic: key.slice(0, cut), partition_no: Number(key.slice(cut + 1)), position_key };
  });
  await trx(highWaterTable).insert(rows).onConflict(['topic', 'partition_no']).merge(['position_key']);
}

/** A writer of a table over a window. */
export interface TableWriter {
  writer: string;
  kind: WriterKind;
  changes: number;
  firstAt: string;
  lastAt: string;
  lastTraceparent: string | null;
  /** The latest statement of an untagged writer (cut to 1000 characters). */
  lastStatement: string | null;
  /**
   * Set when a service owns the table (its GET /writes/ownership, WRITERS_OWNERSHIP_URLS): true
   * for a writer other than the service's reverse applier that wrote it since the service took
   * it over (ownership.ts).
   */
  secondWriter?: boolean;
}

export interface Window {
  since: Date;
  until: Date;
}

/** Which tables a question is about: of one source database (the store may hold others' from before a SHOP_DB change). */
export interface TableScope {
  db?: string;
  tables?: readonly string[];
}

/**
 * Every writer of each table (or of `tables`) during the window, busiest first. The buckets are
 * folded here rather than in SQL: the latest trace and statement of a writer come from its
 * latest bucket, which GROUP BY does not pick.
 */
export async function writersDuring(
  knex: Knex,
  window: Window,
  scope: TableScope = {},
): Promise<Map<string, TableWriter[]>> {
  const q = knex(observationsTable)
    .where('minute', '>=', new Date(minuteOf(window.since.getTime())))
    .andWhere('minute', '<=', new Date(minuteOf(window.until.getTime())))
    .select(
      'table_name',
      'writer',
      'kind',
      'changes',
      'first_at',
      'last_at',
      'last_traceparent',
      'last_statement',
    );
  if (scope.db !== undefined) q.andWhere('db_name', scope.db);
  if (scope.tables) q.whereIn('table_name', [...scope.tables]);
  const byTable = new Map<string, Map<string, TableWriter>>();
  for (const r of await q) {
    const table = String(r.table_name);
    const writers = byTable.get(table) ?? new Map<string, TableWriter>();
    byTable.set(table, writers);
    const firstAt = new Date(r.first_at).toISOString();
    const lastAt = new Date(r.last_at).toISOString();
    const w = writers.get(String(r.writer));
    if (!w) {
      writers.set(String(r.writer), {
        writer: String(r.writer),
        kind: r.kind as WriterKind,
        changes: Number(r.changes),
        firstAt,
        lastAt,
        lastTraceparent: r.last_traceparent ?? null,
        lastStatement: r.last_statement ?? null,
      });
      continue;
    }
    w.changes += Number(r.changes);
    if (firstAt < w.firstAt) w.firstAt = firstAt;
    if (lastAt >= w.lastAt) {
      w.lastAt = lastAt;
      w.lastTraceparent = r.last_traceparent ?? w.lastTraceparent;
      w.lastStatement = r.last_statement ?? w.lastStatement;
    }
  }
  return new Map(
    [...byTable]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([table, writers]) => [
        table,
        [...writers.values()].sort((a, b) => b.changes - a.changes || a.writer.localeCompare(b.writer)),
      ]),
  );
}

/** The time of the newest change counted (the map is as fresh as this). */
export async function newestObservation(knex: Knex, db?: string): Promise<string | null> {
  const q = knex(observationsTable).max({ last: 'last_at' });
  if (db !== undefined) q.where('db_name', db);
  const row = await q.first();
  return row?.last ? new Date(row.last).toISOString() : null;
}
