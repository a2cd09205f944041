/**
 * The dry-run mark. While a route's writes are still executed by legacy (shadow and canary
 * stages), the proxy sends a copy of each write to the new service with this header; the
 * service runs its whole handler in a transaction, rolls it back and answers what it would
 * have answered, so the comparison engine can diff the two answers while the write happens
 * once. Only the proxy may set it: the proxy strips it from every client request (both front
 * ends and the Express middleware), so a client can never make a service skip a real write.
 */
export const dryRunHeader = 'x-strangler-dry-run';
export const dryRunValue = '1';

/** Whether a request (node's lower-cased headers) carries the proxy's dry-run mark. */
export function isDryRunRequest(headers: Record<string, string | string[] | undefined>): boolean {
  return headers[dryRunHeader] === dryRunValue;
}
