import path from 'node:path';
import { z } from 'zod';
import { boolFlag, loadConfig, port } from '../../lib/config.ts';
import { dataRoot } from '../../lib/database/data-root.ts';

const MiB = 1024 * 1024;
const bytes = (fallback: number, max: number) => z.coerce.number().int().min(1024).max(max).default(fallback);

/** Every broker setting: key, env name, type, default. Validated once at start. */
const shape = {
  /** Address to bind (clients must reach the advertised one). */
  host: z.string().min(1).default('127.0.0.1'),
  port: port(9092),
  /** Host/port written into Metadata and FindCoordinator; defaults to the bound address. */
  advertisedHost: z.string().min(1).optional(),
  advertisedPort: z.coerce.number().int().min(1).max(65535).optional(),
  dataDir: z
    .string()
    .min(1)
    .default(() => path.join(dataRoot(), 'broker')),
  autoCreateTopics: boolFlag(true),
  defaultPartitions: z.coerce.number().int().min(1).max(10_000).default(3),
  /** Largest record batch accepted by Produce (MESSAGE_TOO_LARGE above). */
  maxBatchBytes: bytes(16 * MiB, 1024 * MiB),
  /** Largest request frame; a larger size prefix closes the connection. */
  maxRequestBytes: bytes(100 * MiB, 1024 * MiB),
  /** Segment roll size; positions are 32-bit, so below 4 GiB. */
  segmentBytes: bytes(256 * MiB, 2048 * MiB),
  /** Recently appended batches kept in memory for consumers that keep up. */
  cacheBytes: z.coerce
    .number()
    .int()
    .min(0)
    .default(128 * MiB),
  /** fdatasync before acknowledging acks=1/-1 produce and offset commits. Off only for throwaway data. */
  fsync: boolFlag(true),
  /** Also wait for fdatasync before answering OffsetCommit (Kafka never does; see offset-store.ts). */
  fsyncCommits: boolFlag(false),
  minSessionTimeoutMs: z.coerce.number().int().min(1).default(6000),
  maxSessionTimeoutMs: z.coerce.number().int().min(1).default(1_800_000),
  clusterId: z.string().min(1).default('strangler-broker'),
};

const env = {
  host: 'BROKER_HOST',
  port: 'BROKER_PORT',
  advertisedHost: 'BROKER_ADVERTISED_HOST',
  advertisedPort: 'BROKER_ADVERTISED_PORT',
  dataDir: 'BROKER_DATA_DIR',
  autoCreateTopics: 'BROKER_AUTO_CREATE_TOPICS',
  defaultPartitions: 'BROKER_DEFAULT_PARTITIONS',
  maxBatchBytes: 'BROKER_MAX_BATCH_BYTES',
  maxRequestBytes: 'BROKER_MAX_REQUEST_BYTES',
  segmentBytes: 'BROKER_SEGMENT_BYTES',
  cacheBytes: 'BROKER_CACHE_BYTES',
  fsync: 'BROKER_FSYNC',
  fsyncCommits: 'BROKER_FSYNC_COMMITS',
  minSessionTimeoutMs: 'BROKER_GROUP_MIN_SESSION_TIMEOUT_MS',
  maxSessionTimeoutMs: 'BROKER_GROUP_MAX_SESSION_TIMEOUT_MS',
  clusterId: 'BROKER_CLUSTER_ID',
} as const;

export type BrokerConfig = ReturnType<typeof loadBrokerConfig>;

export function loadBrokerConfig(overrides: Partial<Record<keyof typeof shape, unknown>> = {}) {
  return loadConfig('broker', shape, env, overrides);
}

export const brokerEnvNames = env;
