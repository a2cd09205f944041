import { ToolkitError } from '../../lib/errors.ts';

export class DatabaseError extends ToolkitError {}

export const installHint =
  'install a MariaDB server (Debian/Ubuntu: `sudo apt-get install mariadb-server`; macOS: `brew install mariadb`), ' +
  'or point MYSQL_URL at a MySQL 8 / MariaDB 10.6+ server with the binlog on (e.g. MYSQL_URL=mysql://root:secret@127.0.0.1:3306/)';
