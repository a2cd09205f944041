import mysql from 'mysql2/promise';

/**
 * Source positions as the lag check compares them. The extracted services report the
 * position their store reflects in `x-strangler-source-position`; the legacy database's
 * current position is read from the server. Accepted forms:
 *   binlog.000003:1234[:row]     binlog file and offset (MySQL, MariaDB)
 *   0-1-4711[,1-1-12]            MariaDB GTID list (domain-server-sequence)
 * Anything else is "unknown", and a mismatch with an unknown position is never called lag.
 */
export type Position =
  | { kind: 'binlog'; file: number; pos: number; row: number }
  | { kind: 'gtid'; domains: Map<number, number> };

export const positionHeader = 'x-strangler-source-position';
export const sourceTsHeader = 'x-strangler-source-ts';

export function parsePosition(text: string | undefined): Position | undefined {
  if (!text) return undefined;
  const binlog = /^[^:]*?(\d+):(\d+)(?::(\d+))?$/.exec(text.trim());
  if (binlog)
    return { kind: 'binlog', file: Number(binlog[1]), pos: Number(binlog[2]), row: Number(binlog[3] ?? 0) };
  const parts = text.split(',').map((p) => /^(\d+)-(\d+)-(\d+)$/.exec(p.trim()));
  if (parts.length > 0 && parts.every(Boolean)) {
    return { kind: 'gtid', domains: new Map(parts.map((m) => [Number(m![1]), Number(m![3])])) };
  }
  return undefined;
}

/** Negative when `a` is behind `b`; undefined when the two cannot be ordered. */
export function comparePositions(a: Position, b: Position): number | undefined {
  if (a.kind === 'binlog' && b.kind === 'binlog') return a.file - b.file || a.pos - b.pos || a.row - b.row;
  if (a.kind === 'gtid' && b.kind === 'gtid') {
    let sign = 0;
    for (const [domain, seq] of b.domains) {
      const mine = a.domains.get(domain) ?? -1;
      if (mine < seq) return -1;
      if (mine > seq) sign = 1;
    }
    return sign;
  }
  return undefined;
}

/** Reads the legacy database's current binlog position (end of the last written event). */
export class LegacyPositionSource {
  #pool: mysql.Pool;
  constructor(mysqlUrl: string) {
    this.#pool = mysql.createPool({ uri: mysqlUrl, connectionLimit: 2 });
  }

  async current(): Promise<Position | undefined> {
    const [rows] = await this.#pool.query<mysql.RowDataPacket[]>('SHOW MASTER STATUS');
    const row = rows[0];
    return row ? parsePosition(`${row.File}:${row.Position}`) : undefined;
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
