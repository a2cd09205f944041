import type { Connection } from 'mysql2/promise';
import { EncodingError } from './errors.ts';
import type { ColumnDef, TableDef } from './types.ts';

/**
 * Table definitions from two sources: information_schema (snapshot, and the defaults the binlog
 * never carries) and the binlog's own TABLE_MAP metadata (binlog_row_metadata=FULL), which
 * describes the table as it was when the row was written, so rows read long after an ALTER
 * still get their own column names and types.
 */

interface ColumnRow {
  TABLE_NAME: string;
  COLUMN_NAME: string;
  DATA_TYPE: string;
  COLUMN_TYPE: string;
  IS_NULLABLE: string;
  COLUMN_DEFAULT: string | null;
  NUMERIC_PRECISION: string | number | null;
  NUMERIC_SCALE: string | number | null;
  DATETIME_PRECISION: string | number | null;
  CHARACTER_MAXIMUM_LENGTH: string | number | null;
  CHARACTER_SET_NAME: string | null;
  EXTRA: string;
  COLUMN_COMMENT: string;
  GENERATION_EXPRESSION?: string | null;
}

interface IndexRow {
  TABLE_NAME: string;
  INDEX_NAME: string;
  SEQ_IN_INDEX: number | string;
  COLUMN_NAME: string;
}

interface TableRow {
  TABLE_NAME: string;
  TABLE_COLLATION: string | null;
  TABLE_COMMENT: string | null;
  CHARACTER_SET_NAME: string | null;
}

const toInt = (v: string | number | null | undefined): number | undefined =>
  v === null || v === undefined || v === '' ? undefined : Number(v);

/** 'enum('a','b''c')' → ['a', "b'c"] (values may contain commas and doubled quotes). */
export function parseEnumValues(columnType: string): string[] {
  const open = columnType.indexOf('(');
  const values: string[] = [];
  let i = open + 1;
  while (i < columnType.length && columnType[i] === "'") {
    let value = '';
    i++;
    for (;;) {
      const ch = columnType[i];
      if (ch === undefined) return values;
      if (ch === "'") {
        if (columnType[i + 1] === "'") {
          value += "'";
          i += 2;
          continue;
        }
        i++;
        break;
      }
      if (ch === '\\' && columnType[i + 1] !== undefined) {
        value += columnType[i + 1];
        i += 2;
        continue;
      }
      value += ch;
      i++;
    }
    values.push(value);
    if (columnType[i] === ',') i++;
  }
  return values;
}

/**
 * MySQL 8 prints string defaults unquoted and marks expressions with EXTRA DEFAULT_GENERATED;
 * MariaDB quotes literals. Bring MySQL's form to MariaDB's so the encoder reads one form.
 */
function normalizeDefault(
  raw: string | null,
  extra: string,
  isMariaDb: boolean,
  dataType: string,
): string | null {
  if (raw === null || isMariaDb) return raw;
  if (/DEFAULT_GENERATED/i.test(extra)) return raw;
  if (/^(tinyint|smallint|mediumint|int|bigint|decimal|float|double|year)$/.test(dataType)) return raw;
  if (dataType === 'bit' && /^b'[01]*'$/.test(raw)) return raw;
  return `'${raw.replace(/'/g, "''")}'`;
}

/**
 * Reads the current definition of `tables` in `db`. The key is the primary key, else the first
 * UNIQUE index (in the server's key order, which is SHOW CREATE TABLE's) — Debezium's DDL parser
 * promotes it whatever the nullability of its columns.
 */
export async function readTableDefs(conn: Connection, db: string, tables: string[]): Promise<TableDef[]> {
  if (tables.length === 0) return [];
  const [versionRows] = await conn.query('SELECT VERSION() AS v');
  const isMariaDb = /mariadb/i.test(String((versionRows as Array<{ v: string }>)[0]?.v));
  const [colRows] = await conn.query(
    `SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, NUMERIC_PRECISION,
            NUMERIC_SCALE, DATETIME_PRECISION, CHARACTER_MAXIMUM_LENGTH, CHARACTER_SET_NAME, EXTRA, COLUMN_COMMENT,
            GENERATION_EXPRESSION
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (?)
      ORDER BY TABLE_NAME, ORDINAL_POSITION`,
    [db, tables],
  );
  const [indexRows] = await conn.query(
    `SELECT TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME
       FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (?) AND NON_UNIQUE = 0`,
    [db, tables],
  );
  const [tableRows] = await conn.query(
    `SELECT t.TABLE_NAME, t.TABLE_COLLATION, t.TABLE_COMMENT, c.CHARACTER_SET_NAME
       FROM information_schema.TABLES t
       LEFT JOIN information_schema.COLLATION_CHARACTER_SET_APPLICABILITY c ON c.COLLATION_NAME = t.TABLE_COLLATION
      WHERE t.TABLE_SCHEMA = ? AND t.TABLE_NAME IN (?)`,
    [db, tables],
  );

  const columnsByTable = new Map<string, ColumnDef[]>();
  for (const r of colRows as ColumnRow[]) {
    const dataType = r.DATA_TYPE.toLowerCase();
    const columnType = r.COLUMN_TYPE.toLowerCase();
    const col: ColumnDef = {
      name: r.COLUMN_NAME,
      dataType,
      columnType: r.COLUMN_TYPE,
      unsigned: /\bunsigned\b/.test(columnType),
      nullable: r.IS_NULLABLE === 'YES',
      charset: r.CHARACTER_SET_NAME ?? null,
      defaultValue: normalizeDefault(r.COLUMN_DEFAULT, r.EXTRA ?? '', isMariaDb, dataType),
      autoIncrement: /auto_increment/i.test(r.EXTRA ?? ''),
      generated: !!r.GENERATION_EXPRESSION || /\b(VIRTUAL|STORED|PERSISTENT)\b/i.test(r.EXTRA ?? ''),
      comment: r.COLUMN_COMMENT || null,
    };
    if (dataType === 'decimal' || dataType === 'numeric') {
      col.length = toInt(r.NUMERIC_PRECISION);
      col.scale = toInt(r.NUMERIC_SCALE);
    } else if (dataType === 'float' || dataType === 'double') {
      // FLOAT(M,D) / DOUBLE(M,D): the (M,D) form is what turns a FLOAT into a double schema.
      const m = /\((\d+),(\d+)\)/.exec(columnType);
      if (m) {
        col.length = Number(m[1]);
        col.scale = Number(m[2]);
      }
    } else if (dataType === 'bit') {
      col.length = toInt(r.NUMERIC_PRECISION);
    } else if (/char|binary|text|blob/.test(dataType)) {
      col.length = toInt(r.CHARACTER_MAXIMUM_LENGTH);
    } else if (dataType === 'datetime' || dataType === 'timestamp' || dataType === 'time') {
      col.fsp = toInt(r.DATETIME_PRECISION) ?? 0;
    }
    if (dataType === 'enum' || dataType === 'set') col.enumValues = parseEnumValues(r.COLUMN_TYPE);
    const list = columnsByTable.get(r.TABLE_NAME) ?? [];
    columnsByTable.set(r.TABLE_NAME, list);
    list.push(col);
  }

  // Unique indexes per table, in the order the server lists them, columns by SEQ_IN_INDEX.
  const indexesByTable = new Map<string, Map<string, Array<{ seq: number; name: string }>>>();
  for (const r of indexRows as IndexRow[]) {
    const byName =
      indexesByTable.get(r.TABLE_NAME) ?? new Map<string, Array<{ seq: number; name: string }>>();
    indexesByTable.set(r.TABLE_NAME, byName);
    const cols = byName.get(r.INDEX_NAME) ?? [];
    byName.set(r.INDEX_NAME, cols);
    cols.push({ seq: Number(r.SEQ_IN_INDEX), name: r.COLUMN_NAME });
  }
  const tableInfo = new Map((tableRows as TableRow[]).map((r) => [r.TABLE_NAME, r]));

  const missing = tables.filter((t) => !columnsByTable.has(t));
  if (missing.length > 0) {
    throw new EncodingError(`no such table in database ${db}: ${missing.join(', ')}`, {
      db,
      tables: missing,
    });
  }
  return tables.map((table) => {
    const columns = columnsByTable.get(table)!;
    const indexes = indexesByTable.get(table) ?? new Map();
    const ordered = (name: string) =>
      (indexes.get(name) as Array<{ seq: number; name: string }>)
        .slice()
        .sort((a, b) => a.seq - b.seq)
        .map((c) => c.name);
    const primaryKeyColumns = indexes.has('PRIMARY') ? ordered('PRIMARY') : [];
    let keyColumns = primaryKeyColumns;
    if (keyColumns.length === 0) {
      for (const name of indexes.keys()) {
        const cols = ordered(name);
        if (cols.every((c) => columns.some((col) => col.name === c))) {
          keyColumns = cols;
          break;
        }
      }
    }
    const info = tableInfo.get(table);
    return {
      db,
      table,
      columns,
      keyColumns,
      primaryKeyColumns,
      defaultCharset: info?.CHARACTER_SET_NAME ?? null,
      comment: info?.TABLE_COMMENT || null,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Binlog TABLE_MAP → TableDef

/** Binlog column type codes (MySQL/MariaDB enum_field_types). */
const T = {
  DECIMAL: 0,
  TINY: 1,
  SHORT: 2,
  LONG: 3,
  FLOAT: 4,
  DOUBLE: 5,
  TIMESTAMP: 7,
  LONGLONG: 8,
  INT24: 9,
  DATE: 10,
  TIME: 11,
  DATETIME: 12,
  YEAR: 13,
  NEWDATE: 14,
  VARCHAR: 15,
  BIT: 16,
  TIMESTAMP2: 17,
  DATETIME2: 18,
  TIME2: 19,
  BLOB_COMPRESSED: 140,
  VARCHAR_COMPRESSED: 141,
  JSON: 245,
  NEWDECIMAL: 246,
  ENUM: 247,
  SET: 248,
  TINY_BLOB: 249,
  MEDIUM_BLOB: 250,
  LONG_BLOB: 251,
  BLOB: 252,
  VAR_STRING: 253,
  STRING: 254,
  GEOMETRY: 255,
} as const;

/** What tableDefFromTableMap reads from a zongji TableMap event (after zongji cached its columns). */
export interface TableMapLike {
  tableId: number;
  schemaName: string;
  tableName: string;
  columnCount: number;
  columnTypes: number[];
  columnsMetadata: Array<Record<string, unknown> | null | undefined>;
  columnNames?: string[];
  signedness?: Array<boolean | null | undefined>;
  primaryKey?: number[];
  /** Per-column NULL-ability from the TABLE_MAP null bitmap (left there by the zongji seam, zongji-seam.ts). */
  nullability?: boolean[];
  /** The column schemas zongji built from this very event (left there by the zongji seam). */
  ownColumnSchemas?: ColumnSchemaLike[];
  tableMap?: Record<number, { columnSchemas?: ColumnSchemaLike[] }>;
}

/** zongji's information_schema-shaped column description. */
export interface ColumnSchemaLike {
  COLUMN_NAME: string;
  CHARACTER_SET_NAME: string | null;
  COLUMN_TYPE: string;
  ENUM_VALUES?: string[];
  SET_VALUES?: string[];
}

const blobNames: Record<number, [string, string]> = {
  1: ['tinyblob', 'tinytext'],
  2: ['blob', 'text'],
  3: ['mediumblob', 'mediumtext'],
  4: ['longblob', 'longtext'],
};

/**
 * Builds a TableDef from a TableMap event written with binlog_row_metadata=FULL. `previous` (from
 * information_schema or an earlier event) supplies what the binlog cannot: column defaults,
 * the full column type text (FLOAT(M,D), tinyint(1), MySQL JSON vs MariaDB LONGTEXT), a promoted
 * unique key. It is used only when it describes the very same columns (names, order, base types,
 * signedness); otherwise — the table changed since `previous` was read — only the columns that
 * kept their name and type take their default from it.
 */
export function tableDefFromTableMap(event: TableMapLike, previous?: TableDef): TableDef {
  // Prefer the event's own column schemas: zongji's tableMap cache is shared by table id and is
  // overwritten by the next TableMap of that id.
  const schemas = event.ownColumnSchemas ?? event.tableMap?.[event.tableId]?.columnSchemas;
  const names = event.columnNames ?? schemas?.map((s) => s.COLUMN_NAME);
  if (!names || names.length !== event.columnCount) {
    throw new EncodingError(
      `the binlog TABLE_MAP of ${event.schemaName}.${event.tableName} carries no column names: the server must run with binlog_row_metadata=FULL`,
      { db: event.schemaName, table: event.tableName },
    );
  }
  const columns: ColumnDef[] = [];
  for (let i = 0; i < event.columnCount; i++) {
    const meta = (event.columnsMetadata[i] ?? {}) as Record<string, number>;
    const type = (meta.type as number | undefined) ?? event.columnTypes[i];
    const schema = schemas?.[i];
    const charset = schema?.CHARACTER_SET_NAME ?? null;
    const binary = charset === null;
    const col: ColumnDef = {
      name: names[i],
      dataType: 'unknown',
      unsigned: event.signedness?.[i] === true,
      // The null bitmap is always written; without the zongji seam, assume nullable.
      nullable: event.nullability ? event.nullability[i] : true,
      charset: binary ? null : charset,
    };
    switch (type) {
      case T.TINY:
        col.dataType = 'tinyint';
        break;
      case T.SHORT:
        col.dataType = 'smallint';
        break;
      case T.INT24:
        col.dataType = 'mediumint';
        break;
      case T.LONG:
        col.dataType = 'int';
        break;
      case T.LONGLONG:
        col.dataType = 'bigint';
        break;
      case T.FLOAT:
        col.dataType = 'float';
        break;
      case T.DOUBLE:
        col.dataType = 'double';
        break;
      case T.DECIMAL:
      case T.NEWDECIMAL:
        col.dataType = 'decimal';
        col.length = meta.precision;
        col.scale = meta.decimals;
        break;
      case T.YEAR:
        col.dataType = 'year';
        col.unsigned = false;
        break;
      case T.DATE:
      case T.NEWDATE:
        col.dataType = 'date';
        break;
      case T.TIME:
      case T.TIME2:
        col.dataType = 'time';
        col.fsp = meta.decimals ?? hiresFsp(schema?.COLUMN_TYPE);
        break;
      case T.DATETIME:
      case T.DATETIME2:
        col.dataType = 'datetime';
        col.fsp = meta.decimals ?? hiresFsp(schema?.COLUMN_TYPE);
        break;
      case T.TIMESTAMP:
      case T.TIMESTAMP2:
        col.dataType = 'timestamp';
        col.fsp = meta.decimals ?? hiresFsp(schema?.COLUMN_TYPE);
        break;
      case T.VARCHAR:
      case T.VAR_STRING:
      case T.VARCHAR_COMPRESSED:
        col.dataType = binary ? 'varbinary' : 'varchar';
        col.length = lengthFromSchema(schema?.COLUMN_TYPE) ?? meta.max_length;
        break;
      case T.STRING:
        col.dataType = binary ? 'binary' : 'char';
        col.length = lengthFromSchema(schema?.COLUMN_TYPE) ?? meta.max_length;
        break;
      case T.TINY_BLOB:
      case T.MEDIUM_BLOB:
      case T.LONG_BLOB:
      case T.BLOB:
      case T.BLOB_COMPRESSED:
        col.dataType = (blobNames[meta.length_size] ?? blobNames[2])[binary ? 0 : 1];
        break;
      case T.JSON:
        col.dataType = 'json';
        break;
      case T.ENUM:
        col.dataType = 'enum';
        col.enumValues = schema?.ENUM_VALUES ?? (schema ? parseEnumValues(schema.COLUMN_TYPE) : []);
        break;
      case T.SET:
        col.dataType = 'set';
        col.enumValues = schema?.SET_VALUES ?? (schema ? parseEnumValues(schema.COLUMN_TYPE) : []);
        break;
      case T.BIT:
        col.dataType = 'bit';
        col.length = meta.bits;
        break;
      case T.GEOMETRY: {
        // zongji names the binlog's geometry type 7 as MySQL 8 does; information_schema says geometrycollection.
        const name = (schema?.COLUMN_TYPE || 'geometry').toLowerCase();
        col.dataType = name === 'geomcollection' ? 'geometrycollection' : name;
        col.charset = null;
        break;
      }
    }
    if (schema?.COLUMN_TYPE) {
      const special = schema.COLUMN_TYPE.toLowerCase();
      // MariaDB's UUID/INET4/INET6 ride on BINARY; zongji decodes them to text.
      if (special === 'uuid' || special === 'inet4' || special === 'inet6') {
        col.dataType = special;
        col.charset = null;
      }
    }
    if (col.dataType === 'binary') {
      // The binlog's own metadata shows UUID and INET6 as BINARY(16), INET4 as BINARY(4): only the
      // table definition tells them apart. A same-named column of that type and width is taken for it
      // (zongji then hands the bytes, which the encoder formats as the server prints them).
      const known = previous?.columns.find((p) => p.name === col.name);
      const width = known && { uuid: 16, inet6: 16, inet4: 4 }[known.dataType as 'uuid' | 'inet6' | 'inet4'];
      if (known && width !== undefined && width === col.length) col.dataType = known.dataType;
    }
    columns.push(col);
  }
  const primaryKeyColumns = (event.primaryKey ?? []).map((i) => names[i]);

  if (previous && sameColumns(previous.columns, columns)) {
    const merged = previous.columns.map((p, i) => ({
      ...p,
      // The binlog's nullability is the one in force when the row was written.
      nullable: event.nullability ? columns[i].nullable : p.nullable,
    }));
    return {
      ...previous,
      db: event.schemaName,
      table: event.tableName,
      columns: merged,
      keyColumns: primaryKeyColumns.length > 0 ? primaryKeyColumns : previous.keyColumns,
      primaryKeyColumns,
    };
  }
  // The table changed since `previous` was read: a column that kept its name and type keeps its
  // DDL default (the binlog carries none); other columns get no default rather than a guessed one.
  if (previous) {
    for (const col of columns) {
      const p = previous.columns.find((x) => x.name === col.name);
      if (p && binlogTypeOf(p) === binlogTypeOf(col) && p.unsigned === col.unsigned) {
        col.defaultValue = p.defaultValue;
        col.autoIncrement = p.autoIncrement;
      }
    }
  }
  return {
    db: event.schemaName,
    table: event.tableName,
    columns,
    // Without a primary key the binlog cannot name a unique index: the key stays null.
    keyColumns: primaryKeyColumns,
    primaryKeyColumns,
    defaultCharset: previous?.defaultCharset ?? null,
  };
}

function hiresFsp(columnType: string | undefined): number {
  const m = columnType ? /^\w+\((\d)\)/.exec(columnType) : null;
  return m ? Number(m[1]) : 0;
}

function lengthFromSchema(columnType: string | undefined): number | undefined {
  const m = columnType ? /^\w+\((\d+)\)/.exec(columnType) : null;
  return m ? Number(m[1]) : undefined;
}

/** information_schema and the binlog spell some types differently; compare the binlog's view. */
function binlogTypeOf(c: ColumnDef): string {
  if (c.dataType === 'numeric') return 'decimal';
  if (c.dataType === 'integer') return 'int';
  if (c.dataType === 'json') return 'json|longtext';
  if (c.dataType === 'longtext') return 'json|longtext';
  if (c.dataType === 'real') return 'double';
  return c.dataType;
}

function sameColumns(a: ColumnDef[], b: ColumnDef[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x.name !== y.name || binlogTypeOf(x) !== binlogTypeOf(y)) return false;
    if (x.dataType !== 'year' && x.unsigned !== y.unsigned) return false;
    if (x.dataType === 'decimal' && (x.length !== y.length || x.scale !== y.scale)) return false;
    if ((x.fsp ?? 0) !== (y.fsp ?? 0)) return false;
    if (x.enumValues && y.enumValues && x.enumValues.join('\u0000') !== y.enumValues.join('\u0000'))
      return false;
    if (x.dataType === 'bit' && x.length !== y.length) return false;
  }
  return true;
}
