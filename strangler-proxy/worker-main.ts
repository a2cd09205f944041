import { exitOnConfigError } from '../lib/config.ts';
import { createLogger } from '../lib/log.ts';
import { loadProxyConfig, type ProxyConfig } from './config.ts';
import { runWorker } from './workers.ts';

/**
 * Entry point of a worker process when PROXY_WORKERS > 1 (the primary, main.ts, forks it).
 * A separate entry so a worker loads only what serves clients: not the admin API (express and
 * its ~50 packages) nor the comparison engine, which live in the primary.
 */
const log = createLogger('strangler-proxy');

let config: ProxyConfig;
try {
  config = loadProxyConfig();
} catch (err) {
  exitOnConfigError(err);
}
runWorker(config, log).catch((err) => {
  log.fatal({ err }, 'strangler-proxy worker failed to start');
  process.exit(1);
});
