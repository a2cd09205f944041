import { ToolkitError } from '../lib/errors.ts';

/**
 * The proxy's error codes. A retired code is never reused; docs/proxy.md lists every code.
 * `status` is what a client sees when the error ends a request.
 */
export const proxyErrorCodes = {
  PROXY_ERR_ROUTE_FILE_INVALID: 'the route table file does not validate',
  PROXY_ERR_ROUTE_WRITES_INVALID:
    "the routes' writes and owned tables do not hold together (owns without writes, a table with two owners, a write in two routes)",
  PROXY_ERR_ROUTE_FILE_UNREADABLE: 'the route table file cannot be read or parsed as JSON',
  PROXY_ERR_FLAG_FILE_INVALID: 'the local flag file does not validate',
  PROXY_ERR_BAD_REQUEST_TARGET: 'the request target is not an origin-form path the proxy accepts',
  PROXY_ERR_BAD_PATH: 'the path uses an encoding trick (encoded slash, double encoding, backslash)',
  PROXY_ERR_MALFORMED_REQUEST: 'the HTTP request could not be parsed',
  PROXY_ERR_HEADERS_TOO_LARGE: 'the request headers are larger than the configured limit',
  PROXY_ERR_BODY_TOO_LARGE: 'the request body is larger than the configured limit',
  PROXY_ERR_UPSTREAM_TIMEOUT: 'the upstream did not answer in time',
  PROXY_ERR_UPSTREAM_UNREACHABLE: 'the upstream refused or dropped the connection',
  PROXY_ERR_UPSTREAM_BAD_RESPONSE: 'the upstream sent a malformed response',
  PROXY_ERR_UNKNOWN_ROUTE: 'no route with that id',
  PROXY_ERR_BAD_SHIFT: 'a shift target must be a percentage 0-100 or a mode',
  PROXY_ERR_UNLEASH_ADMIN: 'the Unleash Admin API refused a flag change',
  PROXY_ERR_UNLEASH_TOKEN:
    'Unleash refused a token (UNLEASH_API_TOKEN or UNLEASH_ADMIN_TOKEN) or UNLEASH_URL is not its API',
  PROXY_ERR_UNAUTHORIZED: 'the admin API needs the admin token or an active operator token',
  PROXY_ERR_FORBIDDEN: 'only the shared admin token issues and revokes operator tokens',
  PROXY_ERR_OPERATOR_INVALID:
    'an operator name must be 1-64 letters, digits, ".", "_", "@" or "-" (not "admin")',
  PROXY_ERR_OPERATOR_EXISTS: 'that operator already has an active token',
  PROXY_ERR_UNKNOWN_OPERATOR: 'no operator with that name has an active token',
  PROXY_ERR_OVERRIDE_INVALID:
    'a tester override request does not validate (tester, side, ttlSeconds up to a day, routes)',
  PROXY_ERR_BAD_QUERY: 'a query parameter of the admin API does not validate',
  PROXY_ERR_AGGREGATE_PART_FAILED:
    'a part of an aggregation route whose policy is "error" failed (unreachable, timed out, 5xx or not JSON)',
  PROXY_ERR_LIBRARY: 'an installed library is not the version the proxy was checked against',
  PROXY_ERR_RATE_LIMITED: "the client or the route is over the route's rate limit",
  PROXY_ERR_ROUTE_BUSY: "the route's concurrency limit (bulkhead) is full; retry after Retry-After",
  PROXY_ERR_BULKHEAD_INVALID: 'bulkhead limits given in code do not validate',
  PROXY_ERR_WRITE_SIDES_INVALID: "the write-sides file (where each route's writes go) does not validate",
  PROXY_ERR_NO_WRITES: 'the route lists no writes: there is nothing to hold or move',
  PROXY_ERR_BAD_HOLD: 'a hold, release or write-side request does not validate (bound, side or hold id)',
  PROXY_ERR_WRITES_HELD: "the route's writes are already held (a write switch is running)",
  PROXY_ERR_HOLD_GONE:
    "the hold named is not the route's hold any more: it ran out its bound or was released, and its writes went on",
} as const;

export type ProxyErrorCode = keyof typeof proxyErrorCodes;

export class ProxyError extends ToolkitError {
  declare readonly code: ProxyErrorCode;
  readonly status: number;
  constructor(
    code: ProxyErrorCode,
    message: string,
    options: {
      status?: number;
      retriable?: boolean;
      cause?: unknown;
      context?: Record<string, unknown>;
    } = {},
  ) {
    super(code, message, options);
    this.status = options.status ?? 500;
  }
}

/** The JSON body every proxy-generated error carries (same shape as the shop's errors). */
export function errorBody(code: ProxyErrorCode, message: string): string {
  return JSON.stringify({ error: { code, message } });
}
