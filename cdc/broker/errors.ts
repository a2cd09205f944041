import { ToolkitError } from '../../lib/errors.ts';

/** Base of every broker error (codes BROKER_ERR_*). */
export class BrokerError extends ToolkitError {}

/** Client bytes that cannot be parsed: the connection that sent them is closed. */
export class MalformedRequestError extends BrokerError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('BROKER_ERR_MALFORMED_REQUEST', message, { context });
  }
}

/**
 * A request at an API or version the broker does not implement (other than ApiVersions, which
 * gets Kafka's error-35 answer): the connection is closed, as Apache Kafka closes it.
 */
export class UnsupportedVersionError extends BrokerError {
  constructor(api: string, apiKey: number, apiVersion: number) {
    super(
      'BROKER_ERR_UNSUPPORTED_VERSION',
      `${api} (key ${apiKey}) v${apiVersion} is not served here; the ApiVersions answer lists what is`,
      { context: { apiKey, apiVersion } },
    );
  }
}

/** A frame whose size prefix is negative, too small or above the configured limit. */
export class FrameSizeError extends BrokerError {
  constructor(size: number, limit: number) {
    super(
      'BROKER_ERR_FRAME_SIZE',
      `request frame size ${size} is outside 8..${limit} bytes (raise BROKER_MAX_REQUEST_BYTES if legitimate)`,
      { context: { size, limit } },
    );
  }
}

/** The data directory holds something the broker cannot use. */
export class StorageError extends BrokerError {
  constructor(message: string, options: { cause?: unknown; context?: Record<string, unknown> } = {}) {
    super('BROKER_ERR_STORAGE', message, options);
  }
}
