import { envValue } from '../config.ts';
import { checkBinlogSettings } from './binlog-check.ts';
import { ensurePrivateServer } from './private-server.ts';

/**
 * The server URL every component uses: MYSQL_URL when set (checked for a ROW/FULL binlog),
 * else the private MariaDB, started or reused. The URL names no database; callers add theirs
 * (`withDatabase` in url.ts).
 */
export async function resolveServerUrl(): Promise<{ url: string; private: boolean }> {
  const configured = envValue('MYSQL_URL');
  if (configured) {
    await checkBinlogSettings(configured);
    return { url: configured, private: false };
  }
  const server = await ensurePrivateServer({ port: 3307 });
  return { url: server.url, private: true };
}
