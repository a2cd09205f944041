import { exitOnConfigError } from '../../lib/config.ts';
import { loadBrokerConfig } from './config.ts';
import { BrokerServer } from './server/broker-server.ts';

/** `npm run broker`: the embedded Kafka-protocol broker as its own process. SIGTERM/SIGINT stop it cleanly. */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadBrokerConfig>;
  try {
    config = loadBrokerConfig();
  } catch (err) {
    exitOnConfigError(err);
  }
  const broker = new BrokerServer(config);
  try {
    await broker.start();
  } catch (err) {
    broker.log.fatal(
      { err: (err as Error).message, code: (err as { code?: string }).code },
      'broker failed to start',
    );
    process.exit(1);
  }
  // A closed stdout (supervisor gone) must not turn logging into a crash or a hang.
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(1), 15_000).unref();
    broker.log.info({ signal }, 'shutting down');
    broker.stop().then(
      () => process.exit(0),
      (err) => {
        broker.log.error({ err: (err as Error).message }, 'unclean shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
