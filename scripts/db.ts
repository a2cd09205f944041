import { Command } from 'commander';
import {
  ensurePrivateServer,
  privateServerStatus,
  stopPrivateServer,
} from '../lib/database/private-server.ts';

const program = new Command('db').description(
  'the private MariaDB server the toolkit runs when MYSQL_URL is unset',
);
const target = (opts: { test?: boolean; interop?: boolean }) =>
  opts.interop
    ? { name: 'mariadb-interop', port: 0 }
    : { name: opts.test ? 'mariadb-test' : 'mariadb', port: opts.test ? 0 : 3307 };
const interopOption = 'the interop suite’s server (npm run test:interop) instead of the main one';

program
  .command('start')
  .option('--test', 'the test suite’s server instead of the main one')
  .action(async (opts) => {
    const server = await ensurePrivateServer(target(opts));
    console.log(
      `${server.reused ? 'reusing' : 'started'} MariaDB pid ${server.pid} at ${server.url} (data ${server.dataDir})`,
    );
  });
program
  .command('stop')
  .option('--test', 'the test suite’s server instead of the main one')
  .option('--interop', interopOption)
  .action(async (opts) => {
    console.log((await stopPrivateServer(target(opts))) ? 'stopped' : 'not running');
  });
program
  .command('status')
  .option('--test', 'the test suite’s server instead of the main one')
  .option('--interop', interopOption)
  .action(async (opts) => {
    const state = await privateServerStatus(target(opts));
    console.log(state ? `running: pid ${state.pid}, mysql://root@127.0.0.1:${state.port}/` : 'not running');
  });

program.parseAsync().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
