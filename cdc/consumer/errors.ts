import { ToolkitError } from '../../lib/errors.ts';

/**
 * Errors of the Debezium consumer library. Codes are stable (docs/consumer.md lists them);
 * a retired code is never reused. `retriable` decides between retry and dead-letter.
 */
export const consumerErrorCodes = {
  CDC_ERR_EVENT_NOT_JSON: 'the Kafka value (or key) is not valid JSON',
  CDC_ERR_EVENT_SHAPE: 'the value is neither a Debezium envelope nor an unwrapped row',
  CDC_ERR_LOGICAL_TYPE: 'a field value does not match its Debezium logical type',
  CDC_ERR_HANDLER_REJECTED: 'the projection refused the event (non-retryable)',
  CDC_ERR_INVALID_OPTION: 'a consumer option is invalid',
  CDC_ERR_EVENT_MISROUTED:
    "the event's source.db or source.table is not what its topic carries for the projection",
  CDC_ERR_EVENT_KEY:
    "the Kafka key does not name the row: other fields than the table's key columns, or other values than the row's",
  CDC_ERR_EVENT_TYPE:
    'a column the projection reads is missing, null where it may not be, or of the wrong type',
  CDC_ERR_POSITION_AHEAD: 'the event claims a binlog position the source server has not written yet',
  CDC_ERR_SOURCE_UNAVAILABLE:
    "the source server's binlog position could not be read (retried: the events wait, none is applied or dead-lettered)",
  CDC_ERR_KAFKA_AUTH:
    'a Kafka broker refused the SASL credentials or mechanism (KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD): start fails, not retried',
  CDC_ERR_KAFKA_TLS:
    'the TLS handshake with a Kafka broker failed (certificate not trusted by KAFKA_SSL_CA_FILE, or the listener does not speak TLS): start fails, not retried',
  CDC_ERR_UPSERT_ROW: 'a row given to upsertNewer lacks a key or position column, or is not a plain object',
} as const;

export type ConsumerErrorCode = keyof typeof consumerErrorCodes;

export class ConsumerError extends ToolkitError {
  declare readonly code: ConsumerErrorCode;
  constructor(
    code: ConsumerErrorCode,
    message: string,
    options: { retriable?: boolean; cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}

/** Thrown by a handler for an event it can never apply: the runner dead-letters it and goes on. */
export function poisonEvent(message: string, context: Record<string, unknown> = {}): ConsumerError {
  return new ConsumerError('CDC_ERR_HANDLER_REJECTED', message, { retriable: false, context });
}
