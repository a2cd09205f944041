import { ToolkitError } from '../errors.ts';

/**
 * Errors of the database foundation: finding, starting and checking the MySQL server every
 * component uses. Codes are stable (docs/database.md lists them); a retired code is never reused.
 */
export const databaseErrorCodes = {
  DB_ERR_NO_SERVER_BINARY:
    'no mariadbd/mysqld (or mariadb-install-db) binary was found to start a private server',
  DB_ERR_SERVER_START: 'the private server did not accept connections in time; the message ends with its log',
  DB_ERR_BINLOG_SETTINGS: 'the server at MYSQL_URL does not write a ROW/FULL binlog with full row metadata',
} as const;

export type DatabaseErrorCode = keyof typeof databaseErrorCodes;

export class DatabaseError extends ToolkitError {
  declare readonly code: DatabaseErrorCode;
  constructor(
    code: DatabaseErrorCode,
    message: string,
    options: { retriable?: boolean; cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}

export const installHint =
  'install a MariaDB server (Debian/Ubuntu: `sudo apt-get install mariadb-server`; macOS: `brew install mariadb`), ' +
  'or point MYSQL_URL at a MySQL 8 / MariaDB 10.6+ server with the binlog on (e.g. MYSQL_URL=mysql://root:secret@127.0.0.1:3306/)';
