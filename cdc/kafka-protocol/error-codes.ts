/**
 * Kafka error codes the toolkit knows, as data: code, name, whether Kafka clients retry, and
 * what it means here. The broker returns most of them; a few only a multi-node Kafka returns,
 * and the connector's produce client retries on those. Names and numbers are Kafka's (clients
 * match on the number).
 */
export const ErrorCode = {
  NONE: 0,
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  LEADER_NOT_AVAILABLE: 5,
  NOT_LEADER_OR_FOLLOWER: 6,
  REQUEST_TIMED_OUT: 7,
  MESSAGE_TOO_LARGE: 10,
  NETWORK_EXCEPTION: 13,
  COORDINATOR_NOT_AVAILABLE: 15,
  INVALID_TOPIC_EXCEPTION: 17,
  ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  NOT_ENOUGH_REPLICAS: 19,
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: 20,
  INVALID_REQUIRED_ACKS: 21,
  INVALID_GROUP_ID: 24,
  UNKNOWN_MEMBER_ID: 25,
  INVALID_SESSION_TIMEOUT: 26,
  REBALANCE_IN_PROGRESS: 27,
  UNSUPPORTED_VERSION: 35,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_PARTITIONS: 37,
  INVALID_REPLICATION_FACTOR: 38,
  INVALID_REQUEST: 42,
  UNKNOWN_SERVER_ERROR: -1,
  KAFKA_STORAGE_ERROR: 56,
  FETCH_SESSION_ID_NOT_FOUND: 70,
  UNSUPPORTED_COMPRESSION_TYPE: 76,
  INVALID_RECORD: 87,
} as const;

export type ErrorCodeName = keyof typeof ErrorCode;

export const errorCodes: ReadonlyArray<{
  code: number;
  name: ErrorCodeName;
  retriable: boolean;
  message: string;
}> = [
  {
    code: -1,
    name: 'UNKNOWN_SERVER_ERROR',
    retriable: false,
    message:
      'unexpected broker failure, or a compressed record section that does not decompress (see its log)',
  },
  { code: 0, name: 'NONE', retriable: false, message: 'no error' },
  {
    code: 1,
    name: 'OFFSET_OUT_OF_RANGE',
    retriable: false,
    message: 'fetch offset above the high watermark',
  },
  { code: 2, name: 'CORRUPT_MESSAGE', retriable: true, message: 'record batch CRC-32C mismatch' },
  { code: 3, name: 'UNKNOWN_TOPIC_OR_PARTITION', retriable: true, message: 'no such topic or partition' },
  { code: 5, name: 'LEADER_NOT_AVAILABLE', retriable: true, message: 'partition not ready' },
  {
    code: 6,
    name: 'NOT_LEADER_OR_FOLLOWER',
    retriable: true,
    message: 'not from this broker: leadership moved (connector refreshes metadata)',
  },
  {
    code: 7,
    name: 'REQUEST_TIMED_OUT',
    retriable: true,
    message: 'not from this broker: replicas did not acknowledge in time',
  },
  { code: 10, name: 'MESSAGE_TOO_LARGE', retriable: false, message: 'batch above BROKER_MAX_BATCH_BYTES' },
  {
    code: 13,
    name: 'NETWORK_EXCEPTION',
    retriable: true,
    message: 'not from this broker: broker lost its connection to another',
  },
  { code: 15, name: 'COORDINATOR_NOT_AVAILABLE', retriable: true, message: 'broker shutting down' },
  {
    code: 17,
    name: 'INVALID_TOPIC_EXCEPTION',
    retriable: false,
    message: 'topic name not [a-zA-Z0-9._-]{1,249}',
  },
  {
    code: 19,
    name: 'NOT_ENOUGH_REPLICAS',
    retriable: true,
    message: 'not from this broker: in-sync replicas below min.insync.replicas',
  },
  {
    code: 20,
    name: 'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
    retriable: true,
    message: 'not from this broker: written, but too few replicas acknowledged',
  },
  { code: 21, name: 'INVALID_REQUIRED_ACKS', retriable: false, message: 'acks must be -1, 0 or 1' },
  { code: 22, name: 'ILLEGAL_GENERATION', retriable: false, message: 'stale group generation' },
  {
    code: 23,
    name: 'INCONSISTENT_GROUP_PROTOCOL',
    retriable: false,
    message: 'no protocol common to members',
  },
  { code: 24, name: 'INVALID_GROUP_ID', retriable: false, message: 'empty group id' },
  { code: 25, name: 'UNKNOWN_MEMBER_ID', retriable: false, message: 'member not in the group' },
  { code: 26, name: 'INVALID_SESSION_TIMEOUT', retriable: false, message: 'session timeout out of bounds' },
  { code: 27, name: 'REBALANCE_IN_PROGRESS', retriable: false, message: 'group is rebalancing, rejoin' },
  { code: 35, name: 'UNSUPPORTED_VERSION', retriable: false, message: 'API or version not implemented' },
  { code: 36, name: 'TOPIC_ALREADY_EXISTS', retriable: false, message: 'topic exists' },
  { code: 37, name: 'INVALID_PARTITIONS', retriable: false, message: 'partition count must be >= 1' },
  {
    code: 38,
    name: 'INVALID_REPLICATION_FACTOR',
    retriable: false,
    message: 'single node: replication factor 1',
  },
  { code: 42, name: 'INVALID_REQUEST', retriable: false, message: 'request fields inconsistent' },
  {
    code: 56,
    name: 'KAFKA_STORAGE_ERROR',
    retriable: true,
    message: 'not from this broker: the leader lost a log directory',
  },
  {
    code: 70,
    name: 'FETCH_SESSION_ID_NOT_FOUND',
    retriable: true,
    message: 'incremental fetch session asked for: this broker keeps none (full fetches only)',
  },
  {
    code: 76,
    name: 'UNSUPPORTED_COMPRESSION_TYPE',
    retriable: false,
    message: 'zstd batch in a Produce request below v7',
  },
  {
    code: 87,
    name: 'INVALID_RECORD',
    retriable: false,
    message: 'not exactly one magic-2 batch of well-formed records matching its count',
  },
];

/** Kafka's name of an error code (`error code N` for one the toolkit does not know). */
export function errorName(code: number): string {
  return errorCodes.find((e) => e.code === code)?.name ?? `error code ${code}`;
}

/** Whether Kafka clients retry this code; unknown codes are not retried. */
export function isRetriable(code: number): boolean {
  return errorCodes.find((e) => e.code === code)?.retriable ?? false;
}
