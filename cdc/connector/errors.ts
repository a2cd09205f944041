import { ToolkitError } from '../../lib/errors.ts';

/** Errors of the CDC connector; codes are stable and listed in docs/connector.md. */
export const connectorErrorCodes = {
  CONNECTOR_ERR_CONFIG_FILE: 'the CONNECTOR_CONFIG file cannot be read or is not a JSON object of properties',
  CONNECTOR_ERR_SERVER:
    'the MySQL server is not usable for change data capture (binlog settings, privileges)',
  CONNECTOR_ERR_UNKNOWN_TABLE: 'an include list names a database or table that does not exist',
  CONNECTOR_ERR_OFFSET_PURGED: 'the stored binlog position is no longer on the server',
  CONNECTOR_ERR_OFFSET_MISMATCH: 'the stored offsets were written against another server',
  CONNECTOR_ERR_OFFSETS_FILE: 'the offsets file is unreadable',
  CONNECTOR_ERR_BINLOG: 'the binlog stream failed',
  CONNECTOR_ERR_PRODUCE: 'Kafka did not accept the events (the message names topic, partition and error)',
  CONNECTOR_ERR_KAFKA_CONNECTION: 'a Kafka broker cannot be reached, or its connection broke or timed out',
  CONNECTOR_ERR_KAFKA_AUTH:
    'a Kafka broker refused the SASL credentials or mechanism (KAFKA_SASL_*); the connector stops at start instead of retrying',
  CONNECTOR_ERR_KAFKA_TLS:
    'the TLS handshake with a Kafka broker failed: its certificate is not trusted (KAFKA_SSL_CA_FILE) or the listener does not speak TLS',
  CONNECTOR_ERR_KAFKA_VERSION:
    'a Kafka broker does not support the Produce/Metadata versions the connector speaks',
  CONNECTOR_ERR_SNAPSHOT: 'the snapshot failed',
  CONNECTOR_ERR_LIBRARY:
    'an installed library is not the version (or shape) the connector reaches into was checked against',
  CONNECTOR_ERR_ENCODING:
    'a value cannot be encoded as Debezium does (a POINT value that is not a 2D point, spatial bytes without an SRID)',
  CONNECTOR_ERR_UNSUPPORTED_COLUMN:
    'a captured column has a type the connector does not encode (or one named in CONNECTOR_UNSUPPORTED_TYPES) and CONNECTOR_UNSUPPORTED_COLUMNS=fail: streaming halts with an alarm, the process stays up',
} as const;

export type ConnectorErrorCode = keyof typeof connectorErrorCodes;

export class ConnectorError extends ToolkitError {
  declare readonly code: ConnectorErrorCode;
  constructor(
    code: ConnectorErrorCode,
    message: string,
    options: { retriable?: boolean; cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}
