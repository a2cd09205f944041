import { z } from 'zod';
import { loadConfig, port } from '../lib/config.ts';
import { checkHttpTimeouts, httpTimeoutEnvNames, httpTimeoutFields } from '../lib/http-server.ts';

const databaseName = z
  .string()
  .regex(
    /^[A-Za-z0-9_$]{1,64}$/,
    'must be a MySQL database name: letters, digits, _ or $, at most 64 (e.g. shop)',
  );

/** The monolith's settings. MYSQL_URL is read by resolveServerUrl() (lib/database/server-url.ts). */
export const monolithConfigShape = {
  /** HTTP port of the shop API. */
  port: port(3000),
  /** Interface to bind; 0.0.0.0 to accept connections from other hosts/containers. */
  host: z.string().min(1).default('127.0.0.1'),
  /** The shop's database on the MySQL server. */
  database: databaseName.default('shop'),
  /** Upper bound of the knex connection pool. */
  poolMax: z.coerce.number().int().min(1).max(500).default(20),
  /** A request head / a whole request still incomplete after this long gets 408 (lib/http-server.ts). */
  ...httpTimeoutFields,
};

export const monolithEnvNames = {
  port: 'MONOLITH_PORT',
  host: 'MONOLITH_HOST',
  database: 'SHOP_DB',
  poolMax: 'MONOLITH_DB_POOL_MAX',
  ...httpTimeoutEnvNames('MONOLITH'),
} as const;

export type MonolithConfig = Readonly<{
  port: number;
  host: string;
  database: string;
  poolMax: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
}>;

export function loadMonolithConfig(overrides: Partial<MonolithConfig> = {}): MonolithConfig {
  const config = loadConfig('legacy-monolith', monolithConfigShape, monolithEnvNames, overrides);
  checkHttpTimeouts('legacy-monolith', config, monolithEnvNames);
  return config;
}

/** The seed CLI only needs the database name. */
export function loadShopDatabaseName(override?: string): string {
  return loadConfig(
    'seed',
    { database: databaseName.default('shop') },
    { database: 'SHOP_DB' },
    {
      database: override,
    },
  ).database;
}
