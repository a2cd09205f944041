import { ToolkitError } from '../../lib/errors.ts';

/**
 * Errors of the Kafka wire-protocol module (codes KAFKA_PROTOCOL_ERR_*). The broker and the
 * connector's client each turn them into their own: a malformed request closes the broker's
 * connection to that client, a malformed response drops the client's connection to that broker.
 */
export class KafkaProtocolError extends ToolkitError {}

/** Bytes that do not decode as the field they should hold (truncated, negative length, bad count). */
export class MalformedDataError extends KafkaProtocolError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('KAFKA_PROTOCOL_ERR_MALFORMED', message, { context });
  }
}
