import path from 'node:path';
import { z } from 'zod';
import { repoRoot } from '../lib/component-process.ts';
import { boolFlag, loadConfig, port } from '../lib/config.ts';
import { dataRoot } from '../lib/database/data-root.ts';

const ms = (fallback: number) => z.coerce.number().int().min(1).default(fallback);
const bytes = (fallback: number) => z.coerce.number().int().min(1).default(fallback);
const headerName = (fallback: string) =>
  z
    .string()
    .regex(/^[a-z0-9-]+$/i, 'a header name such as x-user-id')
    .default(fallback)
    .transform((v) => v.toLowerCase());

/** Every setting of the proxy: env name, type, default. docs/proxy.md lists them. */
const shape = {
  port: port(8080),
  workers: z.coerce.number().int().min(1).max(64).default(1),
  host: z.string().default('127.0.0.1'),
  adminPort: port(8081),
  adminHost: z.string().default('127.0.0.1'),
  adminToken: z.string().min(16, 'at least 16 characters').optional(),
  /** Signs testers' overrides (flags/tester-override.ts); else a key file under the data folder. */
  overrideSecret: z.string().min(32, 'at least 32 characters').optional(),
  dataDir: z.string().default(dataRoot()),
  routesFile: z.string().default(path.join(repoRoot, 'strangler.routes.json')),
  flagsFile: z.string().optional(),
  targetHeader: headerName('x-strangler-target'),
  userHeader: headerName('x-user-id'),
  userCookie: z.string().default('uid'),
  sessionCookie: z.string().default('sid'),
  trustForwarded: boolFlag(false),
  maxBodyBytes: bytes(100 * 1024 * 1024),
  maxHeaderBytes: bytes(16 * 1024),
  connectionsPerUpstream: z.coerce.number().int().min(1).default(64),
  connectTimeoutMs: ms(2000),
  clientIdleMs: ms(65_000),
  captureMaxBytes: bytes(1024 * 1024),
  shadowConcurrency: z.coerce.number().int().min(1).default(16),
  compareQueue: z.coerce.number().int().min(0).default(256),
  compareNoiseSampleRate: z.coerce.number().min(0).max(1).default(0.1),
  compareNoiseWarmup: z.coerce.number().int().min(0).default(20),
  compareLagWaitMs: z.coerce.number().int().min(0).default(5000),
  compareMaxRecords: z.coerce.number().int().min(2).default(10_000),
  compareRedactFields: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((f) => f.trim())
        .filter(Boolean),
    ),
  legacyMysqlUrl: z.string().optional(),
  captureFile: z.string().optional(),
  captureSampleRate: z.coerce.number().min(0).max(1).default(1),
  breakerErrorPercent: z.coerce.number().min(1).max(100).default(50),
  breakerVolume: z.coerce.number().int().min(1).default(5),
  breakerResetMs: ms(5000),
  breakerWindowMs: ms(10_000),
  writeHoldMaxMs: z.coerce.number().int().min(100).max(600_000).default(30_000),
  writeHoldMaxRequests: z.coerce.number().int().min(1).default(1000),
  unleashUrl: z.string().url().optional(),
  unleashApiToken: z.string().optional(),
  unleashAdminToken: z.string().optional(),
  unleashProject: z.string().default('default'),
  unleashEnvironment: z.string().default('development'),
  unleashRefreshMs: z.coerce
    .number()
    .int()
    .min(100)
    .max(2000, 'at most 2000 so a flag change lands within 2 s')
    .default(1000),
};

const env = {
  port: 'PROXY_PORT',
  workers: 'PROXY_WORKERS',
  host: 'PROXY_HOST',
  adminPort: 'PROXY_ADMIN_PORT',
  adminHost: 'PROXY_ADMIN_HOST',
  adminToken: 'PROXY_ADMIN_TOKEN',
  overrideSecret: 'PROXY_OVERRIDE_SECRET',
  dataDir: 'STRANGLER_DATA_DIR',
  routesFile: 'PROXY_ROUTES_FILE',
  flagsFile: 'PROXY_FLAGS_FILE',
  targetHeader: 'PROXY_TARGET_HEADER',
  userHeader: 'PROXY_USER_HEADER',
  userCookie: 'PROXY_USER_COOKIE',
  sessionCookie: 'PROXY_SESSION_COOKIE',
  trustForwarded: 'PROXY_TRUST_FORWARDED',
  maxBodyBytes: 'PROXY_MAX_BODY_BYTES',
  maxHeaderBytes: 'PROXY_MAX_HEADER_BYTES',
  connectionsPerUpstream: 'PROXY_UPSTREAM_CONNECTIONS',
  connectTimeoutMs: 'PROXY_CONNECT_TIMEOUT_MS',
  clientIdleMs: 'PROXY_CLIENT_IDLE_MS',
  captureMaxBytes: 'PROXY_CAPTURE_MAX_BYTES',
  shadowConcurrency: 'PROXY_SHADOW_CONCURRENCY',
  compareQueue: 'PROXY_COMPARE_QUEUE',
  compareNoiseSampleRate: 'PROXY_COMPARE_NOISE_SAMPLE_RATE',
  compareNoiseWarmup: 'PROXY_COMPARE_NOISE_WARMUP',
  compareLagWaitMs: 'PROXY_COMPARE_LAG_WAIT_MS',
  compareMaxRecords: 'PROXY_COMPARE_MAX_RECORDS',
  compareRedactFields: 'PROXY_COMPARE_REDACT_FIELDS',
  legacyMysqlUrl: 'MYSQL_URL',
  captureFile: 'PROXY_CAPTURE_FILE',
  captureSampleRate: 'PROXY_CAPTURE_SAMPLE_RATE',
  breakerErrorPercent: 'PROXY_BREAKER_ERROR_PERCENT',
  breakerVolume: 'PROXY_BREAKER_VOLUME',
  breakerResetMs: 'PROXY_BREAKER_RESET_MS',
  breakerWindowMs: 'PROXY_BREAKER_WINDOW_MS',
  writeHoldMaxMs: 'PROXY_WRITE_HOLD_MAX_MS',
  writeHoldMaxRequests: 'PROXY_WRITE_HOLD_MAX_REQUESTS',
  unleashUrl: 'UNLEASH_URL',
  unleashApiToken: 'UNLEASH_API_TOKEN',
  unleashAdminToken: 'UNLEASH_ADMIN_TOKEN',
  unleashProject: 'UNLEASH_PROJECT',
  unleashEnvironment: 'UNLEASH_ENVIRONMENT',
  unleashRefreshMs: 'UNLEASH_REFRESH_MS',
} as const;

export type ProxyConfig = ReturnType<typeof loadProxyConfig>;

export function loadProxyConfig(overrides: Parameters<typeof loadConfig<typeof shape>>[3] = {}) {
  const config = loadConfig('strangler-proxy', shape, env, overrides);
  return Object.freeze({
    ...config,
    flagsFile: config.flagsFile ?? path.join(config.dataDir, 'flags.json'),
    tokenFile: path.join(config.dataDir, 'proxy-admin.token'),
    overrideKeyFile: path.join(config.dataDir, 'override.key'),
  });
}
