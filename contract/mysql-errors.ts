/** MySQL error numbers the domain reacts to. */
export const mysqlErrors = { duplicateEntry: 1062, lockWaitTimeout: 1205, deadlock: 1213 } as const;

export function isMysqlError(err: unknown, errno: number): boolean {
  return typeof err === 'object' && err !== null && (err as { errno?: unknown }).errno === errno;
}
