import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type ZongJi from '@vlasky/zongji';
import type { ColumnSchemaLike } from './encoding/table-defs.ts';
import { ConnectorError } from './errors.ts';

/**
 * The one place the connector reaches into @vlasky/zongji beyond its documented API.
 *
 * zongji keeps no NULL-ability: its TableMap parser skips the null bitmap that precedes the
 * optional metadata. And it keeps the column schemas a TableMap built only in a cache shared by
 * table id, which the next TableMap of that id overwrites before the stream (which works through
 * a queue) reads the first. So TableMap's `_readOptionalMetadata` and `buildColumnSchemas` are
 * wrapped to leave `nullability` and `ownColumnSchemas` on each event. And zongji decodes a
 * spatial value into {x, y} objects, dropping the SRID and the WKB Debezium sends: its
 * `updateColumnInfo`, which sets the column types its rows parser reads, is wrapped to read
 * GEOMETRY columns as the BLOB they are on the wire (length-prefixed bytes: 4-byte SRID, then
 * WKB), so a row carries the raw value, as a snapshot SELECT gives it.
 *
 * TableMap is not exported. It is reached through the instance the connector runs: once the
 * instance is ready its `BinlogClass` (the binlog dump command) parses one synthetic TABLE_MAP
 * event, whose prototype is TableMap's. zongji emits 'ready' right before it queues the dump, so
 * the wrap is in place before the first real TableMap is parsed.
 *
 * Every name and arity used here is checked before use, and the installed version must be the
 * one this was written against: a zongji upgrade stops the connector at start with
 * CONNECTOR_ERR_LIBRARY instead of silently losing NULL-ability.
 */

/** The zongji version whose internals this file was checked against (package.json pins it). */
export const ZONGJI_VERSION = '0.9.0';

/** The members this seam relies on, with their arity. */
const binlogCommandShape = { binlogData: 2 } as const;
const tableMapShape = { _readOptionalMetadata: 2, buildColumnSchemas: 0, updateColumnInfo: 0 } as const;

/** MySQL/MariaDB binlog column type codes the seam rewrites (enum_field_types). */
const GEOMETRY_TYPE = 255;
const BLOB_TYPE = 252;

/** What the wrapped TableMap methods see of the event and of zongji's parser. */
interface TableMapInternals {
  columnCount: number;
  tableId: number;
  tableMap?: Record<number, { columns?: Array<{ type: number; charset: string | null }> } | undefined>;
  nullability?: boolean[];
  ownColumnSchemas?: ColumnSchemaLike[];
}
interface ParserInternals {
  _buffer: Buffer;
  _offset: number;
}
interface TableMapPrototype {
  _readOptionalMetadata(this: TableMapInternals, parser: ParserInternals, zongji: unknown): void;
  buildColumnSchemas(this: TableMapInternals): ColumnSchemaLike[];
  updateColumnInfo(this: TableMapInternals): void;
}
type BinlogCommand = new (
  callback: (error: unknown, event: unknown) => void,
) => { binlogData(packet: unknown, connection: unknown): unknown };

function libraryError(what: string, found: string): ConnectorError {
  return new ConnectorError(
    'CONNECTOR_ERR_LIBRARY',
    `@vlasky/zongji ${found}: ${what}; the connector's zongji seam (cdc/connector/zongji-seam.ts) was written against @vlasky/zongji ${ZONGJI_VERSION} — check the seam against the new version, then update ZONGJI_VERSION`,
    { context: { library: '@vlasky/zongji', found, expected: ZONGJI_VERSION } },
  );
}

/**
 * The installed zongji's version. Its exports map opens only the main entry, so its
 * package.json is the one beside the entry the package's own name resolves to.
 */
export function installedZongjiVersion(): string {
  const main = createRequire(import.meta.url).resolve('@vlasky/zongji');
  let dir = path.dirname(main);
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@vlasky/zongji') return String(pkg.version);
    }
    const up = path.dirname(dir);
    if (up === dir) return 'unknown (no package.json above its main entry)';
    dir = up;
  }
}

export function checkZongjiVersion(found = installedZongjiVersion()): void {
  if (found !== ZONGJI_VERSION) throw libraryError('another version is installed', found);
}

/** Throws unless `target` has each member of `shape` as a function of that arity. */
export function checkShape(
  target: unknown,
  name: string,
  shape: Readonly<Record<string, number>>,
  found = installedZongjiVersion(),
): void {
  for (const [member, arity] of Object.entries(shape)) {
    const fn = (target as Record<string, unknown> | null | undefined)?.[member];
    if (typeof fn !== 'function')
      throw libraryError(`${name}.${member} is ${fn === undefined ? 'missing' : `a ${typeof fn}`}`, found);
    if (fn.length !== arity)
      throw libraryError(`${name}.${member} takes ${fn.length} arguments, not ${arity}`, found);
  }
}

/** The TableMap shape check, exported for the test that feeds it a doctored copy. */
export const checkTableMapShape = (proto: unknown, found?: string): void =>
  checkShape(proto, 'TableMap.prototype', tableMapShape, found);

const wrapped = new WeakSet<object>();

/**
 * Checks zongji's version now, and makes `z` carry `nullability` and `ownColumnSchemas` on its
 * TableMap events once it is ready. Call before `z.start()`. The promise settles when the
 * wrap is in place (or refused: then `z` is stopped before it queues the binlog dump).
 */
export function installZongjiSeam(z: ZongJi): Promise<void> {
  checkZongjiVersion();
  return new Promise((resolve, reject) => {
    z.prependOnceListener('ready', () => {
      try {
        wrapTableMap(tableMapPrototype(z));
        resolve();
      } catch (err) {
        z.stop();
        reject(err);
      }
    });
  });
}

/** A TableMap instance made by `z`'s own dump command from a synthetic event; its prototype. */
function tableMapPrototype(z: ZongJi): TableMapPrototype {
  const Binlog = (z as unknown as { BinlogClass?: BinlogCommand }).BinlogClass;
  if (typeof Binlog !== 'function') throw libraryError('a ready instance has no BinlogClass', ZONGJI_VERSION);
  checkShape(Binlog.prototype, 'BinlogClass.prototype', binlogCommandShape);
  const tableId = 0xfffffffffffe; // no table of a real server: kept out of zongji's table cache below
  const cache = z.tableMap as Record<number, unknown>;
  const cached = Object.hasOwn(cache, tableId) ? cache[tableId] : undefined;
  let event: unknown;
  let error: unknown;
  try {
    new Binlog((err, e) => {
      error = err;
      event = e;
    }).binlogData(syntheticTableMapPacket(tableId, z.useChecksum), {});
  } finally {
    if (cached === undefined) delete cache[tableId];
    else cache[tableId] = cached;
  }
  const typeName = (event as { getTypeName?: () => string } | undefined)?.getTypeName?.();
  if (error || typeName !== 'TableMap') {
    throw libraryError(
      `its binlog command did not parse a TABLE_MAP event into a TableMap (${error ? String(error) : `got ${typeName ?? 'nothing'}: is 'tablemap' in includeEvents?`})`,
      ZONGJI_VERSION,
    );
  }
  const proto = Object.getPrototypeOf(event) as TableMapPrototype;
  checkTableMapShape(proto);
  return proto;
}

/**
 * A TABLE_MAP binlog event (one INT column, no optional metadata) as the packet zongji's dump
 * command reads: what mysql2 hands it — the buffer, the payload's offset and end — and the
 * EOF/error tests it makes first.
 */
function syntheticTableMapPacket(tableId: number, checksum: boolean) {
  const name = Buffer.from('zongji_seam_probe');
  const idAndFlags = Buffer.alloc(8); // 6-byte table id, 2 bytes of flags (none)
  idAndFlags.writeUIntLE(tableId, 0, 6);
  const body = Buffer.concat([
    idAndFlags,
    Buffer.from([name.length]),
    name,
    Buffer.from([0, name.length]),
    name,
    Buffer.from([0, 1, 3, 0, 0]), // NUL, 1 column, MYSQL_TYPE_LONG, no column metadata, null bitmap
    Buffer.alloc(checksum ? 4 : 0),
  ]);
  const header = Buffer.alloc(20); // 0x00 marker, then the 19-byte event header
  header.writeUInt8(19, 5); // TABLE_MAP_EVENT
  header.writeUInt32LE(19 + body.length, 10); // event length (header included)
  const buffer = Buffer.concat([header, body]);
  return { buffer, offset: 0, end: buffer.length, isEOF: () => false, isError: () => false };
}

function wrapTableMap(proto: TableMapPrototype): void {
  if (wrapped.has(proto)) return;
  const readOptionalMetadata = proto._readOptionalMetadata;
  const buildColumnSchemas = proto.buildColumnSchemas;
  // The parser stands on the null bitmap when zongji starts reading the optional metadata.
  proto._readOptionalMetadata = function (this: TableMapInternals, parser: ParserInternals, zongji: unknown) {
    const bytes = parser._buffer;
    const start = parser._offset;
    const nullability = new Array<boolean>(this.columnCount);
    for (let i = 0; i < this.columnCount; i++)
      nullability[i] = (bytes[start + (i >> 3)]! & (1 << (i & 7))) !== 0;
    this.nullability = nullability;
    return readOptionalMetadata.call(this, parser, zongji);
  };
  proto.buildColumnSchemas = function (this: TableMapInternals) {
    const schemas = buildColumnSchemas.call(this);
    this.ownColumnSchemas = schemas;
    return schemas;
  };
  const updateColumnInfo = proto.updateColumnInfo;
  // Only the rows parser's view changes: the event's own columnTypes still say GEOMETRY.
  proto.updateColumnInfo = function (this: TableMapInternals) {
    updateColumnInfo.call(this);
    for (const column of this.tableMap?.[this.tableId]?.columns ?? []) {
      if (column.type === GEOMETRY_TYPE) {
        column.type = BLOB_TYPE;
        column.charset = null;
      }
    }
  };
  wrapped.add(proto);
}
