import { ToolkitError } from '../../lib/errors.ts';

/**
 * The reverse applier's error codes (docs/reverse-sync.md lists them); a retired code is never
 * reused. `status` is what an HTTP client of the reverse applier sees; the event codes are what a
 * dead letter's `error.code` says. Events the consumer library refuses before the mapping sees
 * them (another table, no or a future position) keep its CDC_ERR_* codes (docs/consumer.md).
 */
export const reverseSyncErrorCodes = {
  REVERSE_ERR_BAD_TABLES:
    'the request body is not `{ "tables": [...] }` of legacy tables the reverse mapping writes',
  REVERSE_ERR_UNMAPPABLE_ROW:
    'a store row cannot be mapped to legacy rows (missing key or a value of the wrong type)',
  REVERSE_ERR_LEGACY_REJECTED:
    'the legacy database refused a mapped row (a constraint, a foreign key, a check)',
  REVERSE_ERR_UNAVAILABLE: 'the reverse applier cannot reach its state database or the store server',
  REVERSE_ERR_ROUTE_NOT_FOUND: 'no endpoint at that method and path',
  REVERSE_ERR_REMOTE:
    'the reverse applier or the service answered a client with an error or an unreadable body',
} as const;

export type ReverseSyncErrorCode = keyof typeof reverseSyncErrorCodes;

export class ReverseSyncError extends ToolkitError {
  declare readonly code: ReverseSyncErrorCode;
  readonly status: number;
  constructor(
    code: ReverseSyncErrorCode,
    message: string,
    options: {
      status?: number;
      retriable?: boolean;
      cause?: unknown;
      context?: Record<string, unknown>;
    } = {},
  ) {
    super(code, message, options);
    this.status = options.status ?? 400;
  }
}
