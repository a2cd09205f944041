import { ToolkitError } from '../../lib/errors.ts';

/**
 * The writer map's error codes (docs/writer-map.md lists them); a retired code is never reused.
 * `status` is what an HTTP client of the writer map sees.
 */
export const writerMapErrorCodes = {
  WRITERS_ERR_BAD_WINDOW:
    'the observation window is not a duration (30s, 15m, 2h, 7d) or an ISO time, or ends before it starts',
  WRITERS_ERR_BAD_TABLES: 'the tables asked about are missing or not table names',
  WRITERS_ERR_BAD_EXCLUDE: 'an excluded writer is not a route (`METHOD /path/:pattern`)',
  WRITERS_ERR_NO_TABLES: 'the source database has no table to watch (wrong SHOP_DB, or WRITERS_TABLES empty)',
} as const;

export type WriterMapErrorCode = keyof typeof writerMapErrorCodes;

export class WriterMapError extends ToolkitError {
  declare readonly code: WriterMapErrorCode;
  readonly status: number;
  constructor(
    code: WriterMapErrorCode,
    message: string,
    options: { status?: number; cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
    this.status = options.status ?? 400;
  }
}
