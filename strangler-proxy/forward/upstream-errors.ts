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

/**
 * The status a client's hang-up is counted with (nginx's 499, "client closed request"): the
 * attempt was aborted because the client went away, not because the upstream failed. It is
 * never sent (nobody is left to read it), never a breaker failure, never a 502.
 */
export const clientClosedStatus = 499;
const clientClosedCode = 'CLIENT_CLOSED';

/** The error an attempt is aborted with when its client goes away (made only then). */
export function clientClosedError(): Error {
  return Object.assign(new Error('client closed the connection'), { code: clientClosedCode });
}

export function isClientClosed(err: unknown): boolean {
  return (err as { code?: string } | undefined)?.code === clientClosedCode;
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
