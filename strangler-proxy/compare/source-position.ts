import mysql from 'mysql2/promise';
import { type ParsedSourcePosition, parseSourcePosition } from '../../contract/index.ts';

/**
 * Legacy's side of the lag check: the legacy database's current position, read from the server.
 * The services' side (the x-strangler-source-position header), its form and the order of
 * positions are the contract's (contract/source-position.ts).
 */
export class LegacyPositionSource {
  #pool: mysql.Pool;
  constructor(mysqlUrl: string) {
    this.#pool = mysql.createPool({ uri: mysqlUrl, connectionLimit: 2 });
  }

  /** End of the last written event in the binlog. */
  async current(): Promise<ParsedSourcePosition | undefined> {
    const [rows] = await this.#pool.query<mysql.RowDataPacket[]>('SHOW MASTER STATUS');
    const row = rows[0];
    return row ? parseSourcePosition(`${row.File}:${row.Position}`) : undefined;
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
