/**
 * The request methods RFC 9110 (§9.2.2) calls idempotent: sending one twice has the effect of
 * sending it once. The upstream pool resends only these after a kept-alive connection was lost
 * (forward/upstream-pool.ts), and the proxy falls back to legacy after a failed new-side
 * attempt only for these (forward/forward-request.ts). TRACE is left out: the route table
 * cannot name it and the proxy never resends it.
 */
export const idempotentMethods: ReadonlySet<string> = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
