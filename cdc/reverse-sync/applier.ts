import type { Knex } from 'knex';
import { formatOriginTag, parseOriginTag, syncOrigins } from '../../contract/index.ts';
import type { ChangeEvent, Projection, SourceTable } from '../consumer/index.ts';
import { ReverseSyncError } from './errors.ts';
import type { LegacyWrite, ReverseMapping } from './mapping.ts';
import { countAppliedRows, readTableStates, savePositions, storedPositions } from './state-store.ts';

/** Every statement the applier sends to legacy carries this (contract/sql-tag.ts). */
const originTag = formatOriginTag(syncOrigins.reverseSync);

/**
 * SQL errors that mean legacy refuses this row, whatever the retry: the event is poison and
 * goes to the dead-letter topic with REVERSE_ERR_LEGACY_REJECTED (a foreign key the legacy row
 * lacks, a check, a unique index the store does not have, a value legacy cannot hold).
 */
const refusedCodes = new Set([
  'ER_NO_REFERENCED_ROW',
  'ER_NO_REFERENCED_ROW_2',
  'ER_ROW_IS_REFERENCED',
  'ER_ROW_IS_REFERENCED_2',
  'ER_DUP_ENTRY',
  'ER_CHECK_CONSTRAINT_VIOLATED',
  'ER_CONSTRAINT_FAILED',
  'ER_BAD_NULL_ERROR',
  'ER_DATA_TOO_LONG',
  'ER_TRUNCATED_WRONG_VALUE',
  'ER_TRUNCATED_WRONG_VALUE_FOR_FIELD',
  'ER_WARN_DATA_OUT_OF_RANGE',
  'ER_NO_DEFAULT_FOR_FIELD',
  'ER_INVALID_JSON_TEXT',
]);

function isSnapshotRead(event: ChangeEvent): boolean {
  const snapshot = event.source?.snapshot;
  return (
    event.op === 'r' ||
    (snapshot !== undefined && snapshot !== null && snapshot !== false && snapshot !== 'false')
  );
}

const rowKeyOf = (keys: readonly string[], row: Record<string, unknown>) =>
  JSON.stringify(keys.map((k) => (row[k] === null || row[k] === undefined ? null : String(row[k]))));

interface Pending {
  write: LegacyWrite;
  rowKey: string;
  positionKey: string;
}

/**
 * The reverse applier as a consumer-library projection over the store's change topics: each
 * batch becomes, in the runner's one transaction with its offsets, the legacy rows of the
 * enabled tables, newest change per row, applied only when newer than the row's stored position.
 * Snapshot reads are not writes; a change whose statement carries a sync origin tag is not the
 * service's own write (it came from a sync path) and goes nowhere.
 */
export function reverseProjection(options: {
  mapping: ReverseMapping;
  /** The store's database (what `source.db` says). */
  storeDatabase: string;
  /** The legacy database the tables live in (`shop`), qualified in every statement. */
  legacyDatabase: string;
  topicOf(table: string): string;
}): Projection {
  const { mapping, legacyDatabase } = options;
  const topics = Object.keys(mapping.storeTables).map(options.topicOf);
  const sources: Record<string, SourceTable> = {};
  for (const [table, spec] of Object.entries(mapping.storeTables))
    sources[options.topicOf(table)] = { ...spec, table, db: options.storeDatabase };
  const legacy = (table: string) => `${legacyDatabase}.${table}`;

  async function apply(trx: Knex.Transaction, pending: Pending[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    const count = (table: string, n: number) => counts.set(table, (counts.get(table) ?? 0) + n);
    for (const table of mapping.legacyTables) {
      // one multi-row statement per column set (the mapping's rows of a table usually share one)
      const byColumns = new Map<string, Record<string, unknown>[]>();
      for (const p of pending)
        if (p.write.table === table && p.write.op === 'upsert') {
          const columns = Object.keys(p.write.row).sort().join(',');
          byColumns.set(columns, [...(byColumns.get(columns) ?? []), p.write.row]);
        }
      for (const rows of byColumns.values()) {
        await trx(legacy(table)).insert(rows).onConflict().merge().comment(originTag);
        count(table, rows.length);
      }
    }
    for (const table of [...mapping.legacyTables].reverse()) {
      const keys = mapping.legacyKeys[table]!;
      const doomed: Knex.Value[][] = [];
      for (const p of pending)
        if (p.write.table === table && p.write.op === 'delete') {
          const key = p.write.key;
          doomed.push(keys.map((k) => key[k] as Knex.Value));
        }
      if (doomed.length === 0) continue;
      await trx(legacy(table))
        .whereIn([...keys], doomed)
        .delete()
        .comment(originTag);
      count(table, doomed.length);
    }
    return counts;
  }

  return {
    name: `reverse-sync:${mapping.service}`,
    topics,
    sources,
    decode: mapping.decode,
    async handleBatch(events, trx) {
      const states = await readTableStates(trx);
      const newest = new Map<string, Pending>();
      for (const event of events) {
        if (event.op === 't' || isSnapshotRead(event)) continue;
        const query = typeof event.source?.query === 'string' ? event.source.query : '';
        if (parseOriginTag(query) !== undefined) continue;
        // The runner refuses events without a position before they get here (positions: required).
        const positionKey = event.positionKey!;
        for (const write of mapping.map(event)) {
          for (const table of [write.table, write.under ?? write.table])
            if (!mapping.legacyKeys[table])
              throw new ReverseSyncError(
                'REVERSE_ERR_UNMAPPABLE_ROW',
                `${event.topic}@${event.offset}: the mapping wrote legacy table ${table}, which it does not declare`,
                { context: { topic: event.topic, offset: event.offset, table } },
              );
          const state = states.get(write.under ?? write.table);
          if (!state?.enabled || positionKey < state.enabledFrom) continue;
          const rowKey = rowKeyOf(
            mapping.legacyKeys[write.table]!,
            write.op === 'upsert' ? write.row : write.key,
          );
          const id = `${write.table}\u0000${rowKey}`;
          const seen = newest.get(id);
          if (!seen || positionKey >= seen.positionKey) newest.set(id, { write, rowKey, positionKey });
        }
      }
      if (newest.size === 0) return;
      const candidates = [...newest.values()];
      const stored = await storedPositions(
        trx,
        candidates.map((p) => ({ table: p.write.table, rowKey: p.rowKey })),
      );
      const fresh = candidates.filter((p) => {
        const at = stored.get(`${p.write.table}\u0000${p.rowKey}`);
        return at === undefined || p.positionKey > at;
      });
      if (fresh.length === 0) return;
      let counts: Map<string, number>;
      try {
        counts = await apply(trx, fresh);
      } catch (err) {
        const code = (err as { code?: unknown })?.code;
        if (typeof code === 'string' && refusedCodes.has(code))
          throw new ReverseSyncError(
            'REVERSE_ERR_LEGACY_REJECTED',
            `legacy refused a row from ${events[0]?.topic} (${code}): ${String((err as Error).message).slice(0, 300)}`,
            { cause: err, context: { sqlCode: code } },
          );
        throw err;
      }
      await savePositions(
        trx,
        fresh.map((p) => ({ table: p.write.table, rowKey: p.rowKey, positionKey: p.positionKey })),
      );
      await countAppliedRows(trx, counts);
    },
  };
}
