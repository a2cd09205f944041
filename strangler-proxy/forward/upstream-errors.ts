import type { ProxyErrorCode } from '../errors.ts';

/**
 * Classifies an upstream failure in one place: the status a client sees, and whether the
 * upstream can have received the request (only a connection that never opened is certain
 * not to have — that is what makes a non-idempotent fallback safe).
 */
export interface UpstreamFailure {
  status: number;
  code: ProxyErrorCode;
  neverReceived: boolean;
  reason: 'refused' | 'timeout' | 'reset' | 'bad-response' | 'body-too-large' | 'error';
}

const notConnected = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UPSTREAM_CONNECT_TIMEOUT',
]);

export function classifyUpstreamError(err: unknown): UpstreamFailure {
  const code = (err as { code?: string } | undefined)?.code ?? '';
  if (code === 'PROXY_ERR_BODY_TOO_LARGE')
    return { status: 413, code: 'PROXY_ERR_BODY_TOO_LARGE', neverReceived: false, reason: 'body-too-large' };
  if (notConnected.has(code))
    return {
      status: code === 'UPSTREAM_CONNECT_TIMEOUT' ? 504 : 502,
      code:
        code === 'UPSTREAM_CONNECT_TIMEOUT' ? 'PROXY_ERR_UPSTREAM_TIMEOUT' : 'PROXY_ERR_UPSTREAM_UNREACHABLE',
      neverReceived: true,
      reason: code === 'UPSTREAM_CONNECT_TIMEOUT' ? 'timeout' : 'refused',
    };
  if (code === 'UPSTREAM_HEADERS_TIMEOUT' || code === 'UPSTREAM_BODY_TIMEOUT' || code === 'ETIMEDOUT')
    return { status: 504, code: 'PROXY_ERR_UPSTREAM_TIMEOUT', neverReceived: false, reason: 'timeout' };
  if (code === 'UPSTREAM_BAD_RESPONSE' || code === 'UPSTREAM_HEADERS_TOO_LARGE')
    return {
      status: 502,
      code: 'PROXY_ERR_UPSTREAM_BAD_RESPONSE',
      neverReceived: false,
      reason: 'bad-response',
    };
  if (code === 'UPSTREAM_CLOSED' || code === 'ECONNRESET' || code === 'EPIPE')
    return { status: 502, code: 'PROXY_ERR_UPSTREAM_UNREACHABLE', neverReceived: false, reason: 'reset' };
  return { status: 502, code: 'PROXY_ERR_UPSTREAM_UNREACHABLE', neverReceived: false, reason: 'error' };
}
