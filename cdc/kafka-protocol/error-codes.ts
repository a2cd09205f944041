/**
 * Kafka error codes the broker returns, as data: code, name, whether Kafka clients retry,
 * and what it means here. Names and numbers are Kafka's (clients match on the number).
 */
export const ErrorCode = {
  NONE: 0,
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  LEADER_NOT_AVAILABLE: 5,
  MESSAGE_TOO_LARGE: 10,
  COORDINATOR_NOT_AVAILABLE: 15,
  INVALID_TOPIC_EXCEPTION: 17,
  ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23,
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
    message: 'unexpected broker failure (see its log)',
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
  { code: 10, name: 'MESSAGE_TOO_LARGE', retriable: false, message: 'batch above BROKER_MAX_BATCH_BYTES' },
  { code: 15, name: 'COORDINATOR_NOT_AVAILABLE', retriable: true, message: 'broker shutting down' },
  {
    code: 17,
    name: 'INVALID_TOPIC_EXCEPTION',
    retriable: false,
    message: 'topic name not [a-zA-Z0-9._-]{1,249}',
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
  { code: 87, name: 'INVALID_RECORD', retriable: false, message: 'not exactly one magic-2 record batch' },
];
