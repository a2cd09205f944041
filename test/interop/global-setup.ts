import mysql from 'mysql2/promise';
import type { TestProject } from 'vitest/node';
import {
  ensurePrivateServer,
  findServerBinary,
  stopPrivateServer,
} from '../../lib/database/private-server.ts';
import { ensureInteropJars } from '../../scripts/interop/jars.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    interopMysqlUrl: string;
  }
}

/**
 * Java, Maven and the jars first: a machine without them fails here, naming what is missing
 * (never a skip). Then the suite's own private MariaDB (`.data/mariadb-interop/`).
 *
 * Its version string reads `5.7.19-MariaDB`, for Debezium's MySQL connector (its MariaDB module
 * is not served here): it asks for the binlog position with `SHOW BINARY LOG STATUS` and, when
 * that fails, picks its fallback from the major version, taking MariaDB 10.11 for a MySQL newer
 * than 8.4; below, it uses `SHOW MASTER STATUS`, which MariaDB answers. And MySQL Connector/J
 * reads @@tx_isolation (which MariaDB 10.11 has) rather than @@transaction_isolation only from
 * servers older than 5.7.20. The toolkit's connector still sees MariaDB (it looks for the
 * word), so both read the same server the same way.
 */
const version = '5.7.19-MariaDB';

async function serverVersion(url: string): Promise<string> {
  const conn = await mysql.createConnection(url);
  try {
    const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT VERSION() AS v');
    return String(rows[0]?.v);
  } finally {
    await conn.end();
  }
}

export default async function setup(project: TestProject) {
  const started = Date.now();
  const jars = await ensureInteropJars();
  console.log(
    `interop: ${jars.java.version}; jars ${jars.resolved ? `resolved by Maven in ${jars.resolveMs} ms` : 'current'} (${Date.now() - started} ms)`,
  );
  const { flavor } = await findServerBinary();
  const options = {
    name: 'mariadb-interop',
    serverArgs: flavor === 'mariadb' ? [`--version=${version}`] : [],
  };
  let server = await ensurePrivateServer(options);
  // A running instance is reused as it is: one started with other options is restarted.
  if (flavor === 'mariadb' && (await serverVersion(server.url)) !== version) {
    await stopPrivateServer(options);
    server = await ensurePrivateServer(options);
  }
  project.provide('interopMysqlUrl', server.url);
  // The same server for the helpers of the main suite (test/support/database.ts, the e2e system
  // fixture) that the interop tests reuse to run the toolkit beside a real peer.
  project.provide('mysqlUrl', server.url);
}
