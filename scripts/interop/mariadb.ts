import mysql from 'mysql2/promise';
import {
  ensurePrivateServer,
  findServerBinary,
  type PrivateServer,
  stopPrivateServer,
} from '../../lib/database/private-server.ts';

/**
 * The private MariaDB that real Debezium reads (`.data/mariadb-interop/`): the interop suite's
 * and `npm run bench:cdc:debezium`'s.
 *
 * Its version string reads `5.7.19-MariaDB`, for Debezium's MySQL connector (its MariaDB module
 * is not served here): it asks for the binlog position with `SHOW BINARY LOG STATUS` and, when
 * that fails, picks its fallback from the major version, taking MariaDB 10.11 for a MySQL newer
 * than 8.4; below, it uses `SHOW MASTER STATUS`, which MariaDB answers. And MySQL Connector/J
 * reads @@tx_isolation (which MariaDB 10.11 has) rather than @@transaction_isolation only from
 * servers older than 5.7.20. The toolkit's connector still sees MariaDB (it looks for the
 * word), so both read the same server the same way.
 */
export const interopServerVersion = '5.7.19-MariaDB';

async function serverVersion(url: string): Promise<string> {
  const conn = await mysql.createConnection(url);
  try {
    const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT VERSION() AS v');
    return String(rows[0]?.v);
  } finally {
    await conn.end();
  }
}

/** Starts (or reuses) the interop MariaDB; one started with other options is restarted. */
export async function ensureInteropMariaDb(): Promise<PrivateServer> {
  const { flavor } = await findServerBinary();
  const options = {
    name: 'mariadb-interop',
    serverArgs: flavor === 'mariadb' ? [`--version=${interopServerVersion}`] : [],
  };
  let server = await ensurePrivateServer(options);
  if (flavor === 'mariadb' && (await serverVersion(server.url)) !== interopServerVersion) {
    await stopPrivateServer(options);
    server = await ensurePrivateServer(options);
  }
  return server;
}
