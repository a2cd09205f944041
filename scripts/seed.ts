import { Command, InvalidArgumentError } from 'commander';
import { loadShopDatabaseName } from '../legacy-monolith/config.ts';
import { migrateLatest } from '../legacy-monolith/migrations/index.ts';
import { defaultSeedSize } from '../legacy-monolith/seed/generate.ts';
import { isShopEmpty, seedShop } from '../legacy-monolith/seed/seed-shop.ts';
import { exitOnConfigError } from '../lib/config.ts';
import { resolveServerUrl } from '../lib/database/server-url.ts';
import { redactUrl } from '../lib/database/url.ts';
import { createMysqlKnex, ensureDatabase } from '../lib/knex-mysql.ts';

const count = (name: string) => (value: string) => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be a whole number ≥ 0, e.g. 1000`);
  return Number(value);
};
const scale = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError('scale must be a number > 0, e.g. 0.1 or 2');
  return n;
};

const program = new Command('seed')
  .description('fill the shop database with a deterministic, realistic history (migrating it first)')
  .option('--products <n>', `products (default ${defaultSeedSize.products} × scale)`, count('products'))
  .option('--users <n>', `users (default ${defaultSeedSize.users} × scale)`, count('users'))
  .option('--orders <n>', `orders (default ${defaultSeedSize.orders} × scale)`, count('orders'))
  .option('--scale <factor>', 'multiplies the default sizes', scale, 1)
  .option(
    '--seed <n>',
    'random seed; the same seed gives identical rows',
    count('seed'),
    defaultSeedSize.seed,
  )
  .option('--database <name>', 'database name (default SHOP_DB or shop)')
  .option('--if-empty', 'do nothing when the shop already has data, instead of failing')
  .action(async (opts) => {
    let database: string;
    try {
      database = loadShopDatabaseName(opts.database);
    } catch (err) {
      exitOnConfigError(err);
    }
    const server = await resolveServerUrl();
    await ensureDatabase(server.url, database);
    const knex = createMysqlKnex(server.url, database);
    try {
      await migrateLatest(knex);
      if (opts.ifEmpty && !(await isShopEmpty(knex))) {
        console.log(`shop database ${database} already has data; not seeding (--if-empty)`);
        return;
      }
      const result = await seedShop(knex, {
        products: opts.products ?? Math.round(defaultSeedSize.products * opts.scale),
        users: opts.users ?? Math.round(defaultSeedSize.users * opts.scale),
        orders: opts.orders ?? Math.round(defaultSeedSize.orders * opts.scale),
        seed: opts.seed,
      });
      const summary = Object.entries(result.rows)
        .map(([table, n]) => `${table} ${n}`)
        .join(', ');
      console.log(`seeded ${database} on ${redactUrl(server.url)} in ${result.millis} ms: ${summary}`);
    } finally {
      await knex.destroy();
    }
  });

program.parseAsync().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
