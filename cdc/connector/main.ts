import { exitOnConfigError } from '../../lib/config.ts';
import { ToolkitError } from '../../lib/errors.ts';
import { createLogger } from '../../lib/log.ts';
import { loadConnectorConfig } from './config.ts';
import { startConnector } from './connector.ts';

/**
 * `npm run connector`: snapshot, then stream the binlog to Kafka as Debezium events. Exits
 * nonzero on any start-up problem (with a message naming it) and on a fatal stream error, so a
 * supervisor restarts it from its stored offsets. A column it must not encode under
 * CONNECTOR_UNSUPPORTED_COLUMNS=fail halts it instead: it stays up with the alarm on /health and
 * /status (a restart would halt at the same event), and exits on SIGTERM as usual.
 */
const log = createLogger('connector');
let config: ReturnType<typeof loadConnectorConfig>;
try {
  config = loadConnectorConfig();
} catch (err) {
  if (err instanceof ToolkitError && err.code !== 'CONFIG_ERR_INVALID') {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  exitOnConfigError(err);
}

try {
  const connector = await startConnector(config, log);
  log.info({ port: config.port, prefix: config['topic.prefix'] }, 'connector status endpoint listening');
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await connector.stop().catch((err) => log.error({ err }, 'shutdown failed'));
    process.exit(code);
  };
  process.on('SIGTERM', () => void shutdown(0));
  process.on('SIGINT', () => void shutdown(0));
  connector.failed.then((err) => {
    // The code too: a refused password (CONNECTOR_ERR_KAFKA_AUTH) reads apart from a network fault.
    process.stderr.write(
      `connector failed: ${err.message}${err instanceof ToolkitError ? ` (${err.code})` : ''}\n`,
    );
    void shutdown(1);
  });
} catch (err) {
  process.stderr.write(`connector cannot start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
