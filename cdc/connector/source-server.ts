import mysql from 'mysql2/promise';
import { checkBinlogSettings } from '../../lib/database/binlog-check.ts';
import { redactUrl } from '../../lib/database/url.ts';
import { ConnectorError } from './errors.ts';
import type { BinlogPosition } from './offsets.ts';

/**
 * What the connector asks of the source server outside the binlog stream: its flavour, its
 * binlog settings, where its binlog ends, which binlog files it still has.
 */
export interface ServerInfo {
  flavour: 'mariadb' | 'mysql';
  version: string;
  serverId: number;
}

export async function inspectServer(url: string): Promise<ServerInfo> {
  try {
    await checkBinlogSettings(url);
  } catch (err) {
    throw new ConnectorError('CONNECTOR_ERR_SERVER', (err as Error).message, { cause: err });
  }
  const conn = await mysql.createConnection(url);
  try {
    const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT VERSION() AS v, @@server_id AS id');
    const v = String(rows[0]?.v ?? '');
    return {
      flavour: /mariadb/i.test(v) ? 'mariadb' : 'mysql',
      version: v,
      serverId: Number(rows[0]?.id ?? 0),
    };
  } finally {
    await conn.end();
  }
}

/** SHOW MASTER STATUS plus the server's GTID position, on a given connection (inside a lock for snapshots). */
export async function currentPosition(
  conn: mysql.Connection,
  flavour: ServerInfo['flavour'],
): Promise<BinlogPosition> {
  const [status] = await conn.query<mysql.RowDataPacket[]>('SHOW MASTER STATUS');
  const row = status[0];
  if (!row)
    throw new ConnectorError('CONNECTOR_ERR_SERVER', 'SHOW MASTER STATUS returned nothing: is log_bin on?');
  const [g] = await conn.query<mysql.RowDataPacket[]>(
    flavour === 'mariadb' ? 'SELECT @@gtid_binlog_pos AS g' : 'SELECT @@gtid_executed AS g',
  );
  const gtids = String(g[0]?.g ?? '').replace(/\s+/g, '');
  return { file: String(row.File), pos: Number(row.Position), gtids: gtids || null };
}

export async function binlogFiles(conn: mysql.Connection): Promise<string[]> {
  const [rows] = await conn.query<mysql.RowDataPacket[]>('SHOW BINARY LOGS');
  return rows.map((r) => String(r.Log_name));
}

/**
 * The stored position must still be on the server, or resuming would silently skip changes;
 * and it must be this server's: offsets written against another server (a test instance, a
 * re-initialised database) name a file that exists here too, but point into the middle of an
 * event. MariaDB tells which GTID state a binlog position stands for (BINLOG_GTID_POS): NULL
 * for a place that is not a transaction boundary here, or a state other than the one stored.
 */
export async function assertPositionUsable(
  url: string,
  flavour: ServerInfo['flavour'],
  position: BinlogPosition,
  offsetsFile: string,
): Promise<void> {
  const conn = await mysql.createConnection(url);
  try {
    const files = await binlogFiles(conn);
    if (!files.includes(position.file))
      throw new ConnectorError(
        'CONNECTOR_ERR_OFFSET_PURGED',
        `the stored position ${position.file}:${position.pos} (in ${offsetsFile}) is no longer on the server at ${redactUrl(url)}: ` +
          `its binlog was purged (the server has ${files[0] ?? 'none'} … ${files[files.length - 1] ?? 'none'}). ` +
          'Changes since then are lost to streaming; re-snapshot: restart with snapshot.mode=when_needed (CDC_SNAPSHOT_MODE=when_needed) or delete the offsets file.',
        { context: { position, files } },
      );
    if (flavour !== 'mariadb') return;
    const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT BINLOG_GTID_POS(?, ?) AS g', [
      position.file,
      position.pos,
    ]);
    const atPosition = rows[0]?.g === null || rows[0]?.g === undefined ? null : String(rows[0].g);
    const same = atPosition !== null && (position.gtids === null || samePosition(atPosition, position.gtids));
    if (!same)
      throw new ConnectorError(
        'CONNECTOR_ERR_OFFSET_MISMATCH',
        `the stored position ${position.file}:${position.pos} (GTIDs ${position.gtids ?? 'none'}, in ${offsetsFile}) does not belong to the server at ${redactUrl(url)} ` +
          `(${atPosition === null ? 'it is not a transaction boundary there' : `that position stands for GTIDs ${atPosition} there`}): ` +
          'the offsets were written against another server or before the database was re-created. ' +
          'Point CONNECTOR_OFFSETS_DIR (or topic.prefix) elsewhere, delete the file, or restart with snapshot.mode=when_needed to re-snapshot.',
        { context: { position, atPosition } },
      );
  } finally {
    await conn.end();
  }
}

/** GTID positions compare per replication domain, whatever their order in the text. */
function samePosition(a: string, b: string): boolean {
  const norm = (s: string) => s.split(',').filter(Boolean).sort().join(',');
  return norm(a) === norm(b);
}

/**
 * The server's GTID position, advanced transaction by transaction: MariaDB keeps the last
 * sequence per replication domain (`0-1-42,1-3-7`); a MySQL `uuid:n` is merged as an interval
 * end. Kept for the offsets file and status, so they can be compared with the server's own.
 */
export class GtidPosition {
  private constructor(private readonly parts: Map<string, string>) {}

  static parse(text: string | null): GtidPosition {
    const parts = new Map<string, string>();
    for (const item of (text ?? '').split(',').filter(Boolean)) {
      const mariadb = /^(\d+)-\d+-\d+$/.exec(item);
      if (mariadb) parts.set(`d${mariadb[1]}`, item);
      else parts.set(`u${item.split(':')[0]}`, item);
    }
    return new GtidPosition(parts);
  }

  add(gtid: string): void {
    const mariadb = /^(\d+)-\d+-\d+$/.exec(gtid);
    if (mariadb) {
      this.parts.set(`d${mariadb[1]}`, gtid);
      return;
    }
    const [uuid, n] = [gtid.slice(0, gtid.lastIndexOf(':')), gtid.slice(gtid.lastIndexOf(':') + 1)];
    const prev = this.parts.get(`u${uuid}`);
    const start = prev ? (/:(\d+)(?:-\d+)?$/.exec(prev)?.[1] ?? n) : n;
    this.parts.set(`u${uuid}`, start === n ? `${uuid}:${n}` : `${uuid}:${start}-${n}`);
  }

  toString(): string {
    return [...this.parts.values()].join(',');
  }
}

export interface DdlTarget {
  kind: 'CREATE' | 'ALTER' | 'DROP' | 'TRUNCATE';
  db: string;
  tables: string[];
  /** RENAME TABLE old TO new: tables is [new], renamedFrom is old. */
  renamedFrom?: string;
}

const ident = '(?:`(?:[^`]|``)+`|[\\w$]+)';
const qualified = `(${ident}(?:\\s*\\.\\s*${ident})?)`;
const ddlPatterns: [DdlTarget['kind'], RegExp][] = [
  [
    'CREATE',
    new RegExp(
      `^CREATE\\s+(?:OR\\s+REPLACE\\s+)?(?:TEMPORARY\\s+)?TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?${qualified}`,
      'i',
    ),
  ],
  [
    'ALTER',
    new RegExp(`^ALTER\\s+(?:ONLINE\\s+)?(?:IGNORE\\s+)?TABLE\\s+(?:IF\\s+EXISTS\\s+)?${qualified}`, 'i'),
  ],
  ['DROP', new RegExp(`^DROP\\s+(?:TEMPORARY\\s+)?TABLE\\s+(?:IF\\s+EXISTS\\s+)?${qualified}`, 'i')],
  ['TRUNCATE', new RegExp(`^TRUNCATE\\s+(?:TABLE\\s+)?${qualified}`, 'i')],
  ['ALTER', new RegExp(`^RENAME\\s+TABLE\\s+${qualified}\\s+TO\\s+${qualified}`, 'i')],
  [
    'ALTER',
    new RegExp(
      `^CREATE\\s+(?:UNIQUE\\s+|FULLTEXT\\s+|SPATIAL\\s+)?INDEX\\s+${ident}\\s+ON\\s+${qualified}`,
      'i',
    ),
  ],
  ['ALTER', new RegExp(`^DROP\\s+INDEX\\s+${ident}\\s+ON\\s+${qualified}`, 'i')],
];

const unquote = (s: string) => (s.startsWith('`') ? s.slice(1, -1).replace(/``/g, '`') : s);

/** Which table a DDL statement changes (the first one for multi-table statements), or undefined for other statements. */
export function ddlTarget(sql: string, defaultDb: string): DdlTarget | undefined {
  // Statements are logged with leading comments sometimes (`/* generated by server */`).
  const text = sql.replace(/^\s*(\/\*[\s\S]*?\*\/\s*)*/, '');
  for (const [kind, re] of ddlPatterns) {
    const m = re.exec(text);
    if (!m) continue;
    const names = m.slice(1).filter((x): x is string => x !== undefined);
    const split = (n: string) => {
      const parts = n.split(/\s*\.\s*(?=`|[\w$])/).map(unquote);
      return parts.length === 2
        ? { db: parts[0] as string, table: parts[1] as string }
        : { db: defaultDb, table: parts[0] as string };
    };
    const first = split(names[0] as string);
    if (/^RENAME/i.test(text) && names[1])
      return { kind, db: first.db, tables: [split(names[1]).table], renamedFrom: first.table };
    return { kind, db: first.db, tables: [first.table] };
  }
  return undefined;
}
