import type { Logger } from '../../lib/log.ts';
import { type ConnectorConfig, nameFilter } from './config.ts';
import { isEncodableType } from './encoding/index.ts';
import type { ColumnDef, TableDef } from './encoding/types.ts';
import { ConnectorError } from './errors.ts';

/**
 * Which columns a table's events carry. Debezium's `column.exclude.list` leaves columns out of
 * event values (never out of the key); a column whose type the connector does not encode — or
 * one named in `CONNECTOR_UNSUPPORTED_TYPES` — follows `CONNECTOR_UNSUPPORTED_COLUMNS`: `fail`
 * throws CONNECTOR_ERR_UNSUPPORTED_COLUMN (the connector halts with an alarm), `skip` leaves it
 * out with a warning logged once per table definition. The snapshot and the binlog stream both
 * ask here, so a table's events have the same columns whichever path wrote them.
 */
export interface ColumnPolicy {
  /** The value columns' filter for `def`; undefined when every column is kept. Throws under `fail`. */
  valueColumns(def: TableDef): ((col: ColumnDef) => boolean) | undefined;
}

export function columnPolicy(
  config: Pick<ConnectorConfig, 'column.exclude.list' | 'unsupportedColumns' | 'unsupportedTypes'>,
  log: Pick<Logger, 'warn'>,
): ColumnPolicy {
  const excludeList = config['column.exclude.list'];
  const excluded = excludeList.length > 0 ? nameFilter(undefined, excludeList) : undefined;
  const declined = new Set(config.unsupportedTypes);
  const warned = new Set<string>();
  const unsupported = (col: ColumnDef) => declined.has(col.dataType) || !isEncodableType(col.dataType);
  const typeOf = (col: ColumnDef) => (col.columnType ?? col.dataType).toLowerCase();

  return {
    valueColumns(def) {
      const table = `${def.db}.${def.table}`;
      const drop = new Set<string>();
      const skipped: ColumnDef[] = [];
      for (const col of def.columns) {
        // nameFilter(undefined, exclude) is true for names the exclude list does not match.
        if (excluded && !excluded(`${table}.${col.name}`)) {
          drop.add(col.name);
          continue;
        }
        if (!unsupported(col)) continue;
        const isKey = def.keyColumns.includes(col.name);
        if (config.unsupportedColumns === 'fail' || isKey) {
          throw new ConnectorError(
            'CONNECTOR_ERR_UNSUPPORTED_COLUMN',
            `column ${table}.${col.name} has type ${typeOf(col)}, which this connector ${declined.has(col.dataType) ? 'is configured not to encode (CONNECTOR_UNSUPPORTED_TYPES)' : 'does not encode'}${
              isKey
                ? ', and it is part of the key, which cannot leave it out: exclude the table (table.exclude.list)'
                : ': restart with CONNECTOR_UNSUPPORTED_COLUMNS=skip to leave it out of the events, or with it in column.exclude.list (CDC_COLUMN_EXCLUDE_LIST)'
            }; the connector resumes from its stored offset`,
            { context: { table, column: col.name, type: typeOf(col) } },
          );
        }
        drop.add(col.name);
        skipped.push(col);
      }
      if (skipped.length > 0) {
        const signature = `${table}|${def.columns.map((c) => `${c.name}:${typeOf(c)}`).join(',')}`;
        if (!warned.has(signature)) {
          warned.add(signature);
          log.warn(
            { table, columns: skipped.map((c) => ({ column: c.name, type: typeOf(c) })) },
            `CONNECTOR_UNSUPPORTED_COLUMNS=skip: ${skipped.map((c) => `${c.name} (${typeOf(c)})`).join(', ')} of ${table} left out of its events`,
          );
        }
      }
      return drop.size === 0 ? undefined : (col) => !drop.has(col.name);
    },
  };
}
