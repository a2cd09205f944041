import mysql from 'mysql2/promise';
import { DatabaseError } from './errors.ts';
import { redactUrl } from './url.ts';

/** What change data capture needs from the server, with the setting that fixes each. */
const required: { variable: string; expected: string; fix: string }[] = [
  {
    variable: 'log_bin',
    expected: 'ON',
    fix: 'start the server with --log-bin (my.cnf: log_bin = mysql-bin)',
  },
  {
    variable: 'binlog_format',
    expected: 'ROW',
    fix: 'SET GLOBAL binlog_format = ROW (my.cnf: binlog_format = ROW)',
  },
  {
    variable: 'binlog_row_image',
    expected: 'FULL',
    fix: 'SET GLOBAL binlog_row_image = FULL (my.cnf: binlog_row_image = FULL)',
  },
  {
    variable: 'binlog_row_metadata',
    expected: 'FULL',
    fix: 'SET GLOBAL binlog_row_metadata = FULL (my.cnf: binlog_row_metadata = FULL; MySQL 8.0.14+ / MariaDB 10.5+)',
  },
];

/**
 * Checks that the server at `url` writes a ROW/FULL binlog. Throws DB_ERR_BINLOG_SETTINGS
 * naming every wrong variable and what to change.
 */
export async function checkBinlogSettings(url: string): Promise<void> {
  const conn = await mysql.createConnection(url);
  try {
    const [rows] = await conn.query<mysql.RowDataPacket[]>(
      `SHOW GLOBAL VARIABLES WHERE Variable_name IN (${required.map(() => '?').join(',')})`,
      required.map((r) => r.variable),
    );
    const values = new Map(rows.map((r) => [String(r.Variable_name), String(r.Value).toUpperCase()]));
    const problems = required
      .filter((r) => values.get(r.variable) !== r.expected)
      .map((r) => `${r.variable} is ${values.get(r.variable) ?? 'missing'}, must be ${r.expected}: ${r.fix}`);
    if (problems.length > 0) {
      throw new DatabaseError(
        'DB_ERR_BINLOG_SETTINGS',
        `the MySQL server at ${redactUrl(url)} is not set up for change data capture:\n  - ${problems.join('\n  - ')}`,
      );
    }
  } finally {
    await conn.end();
  }
}
