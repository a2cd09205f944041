import { exitOnConfigError } from '../lib/config.ts';
import { resolveServerUrl } from '../lib/database/server-url.ts';
import { redactUrl } from '../lib/database/url.ts';
import { createLogger } from '../lib/log.ts';
import { loadMonolithConfig, type MonolithConfig } from './config.ts';
import { startMonolith } from './server.ts';

const log = createLogger('legacy-monolith');

async function main(): Promise<void> {
  let config: MonolithConfig;
  try {
    config = loadMonolithConfig();
  } catch (err) {
    exitOnConfigError(err);
  }
  const db = await resolveServerUrl();
  const monolith = await startMonolith({
    serverUrl: db.url,
    database: config.database,
    port: config.port,
    host: config.host,
    poolMax: config.poolMax,
    httpTimeouts: { headersTimeoutMs: config.headersTimeoutMs, requestTimeoutMs: config.requestTimeoutMs },
    log,
  });
  // Tests and `npm start` wait for this line or for GET /health.
  log.info(
    { url: monolith.url, database: config.database, server: redactUrl(db.url) },
    `legacy monolith ready on ${monolith.url}`,
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    await monolith.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err) => {
  log.fatal({ err }, `legacy monolith failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
