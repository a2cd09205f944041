import { ToolkitError } from '../../../lib/errors.ts';

/** A table or value the Debezium encoding cannot represent (unsupported type, unreadable metadata). */
export class EncodingError extends ToolkitError {
  constructor(message: string, context: Record<string, unknown> = {}, cause?: unknown) {
    super('CONNECTOR_ERR_ENCODING', message, { context, cause });
  }
}
