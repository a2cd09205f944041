/** Helpers that turn database values into the contract's JSON forms. */

/** DATETIME/TIMESTAMP (a Date in UTC, the session runs at +00:00) → "2026-01-02T03:04:05.678Z". */
export function isoTime(value: unknown): string {
  const date = value instanceof Date ? value : new Date(String(value));
  return date.toISOString();
}

/** DECIMAL comes back as a string already ("12.30"); keep exactly two decimals whatever the driver did. */
export function money(value: unknown): string {
  const text = String(value);
  const [whole, fraction = ''] = text.split('.');
  return `${whole}.${fraction.padEnd(2, '0').slice(0, 2)}`;
}

/** MySQL's JSON type arrives parsed; MariaDB's (LONGTEXT + json_valid) may arrive as text. */
export function jsonValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return JSON.parse(value);
  if (Buffer.isBuffer(value)) return JSON.parse(value.toString('utf8'));
  return value;
}

/** MySQL error numbers the domain reacts to. */
export const mysqlErrors = { duplicateEntry: 1062, deadlock: 1213 } as const;

export function isMysqlError(err: unknown, errno: number): boolean {
  return typeof err === 'object' && err !== null && (err as { errno?: unknown }).errno === errno;
}

/** Escapes LIKE wildcards so a search for "50%" or "a_b" matches those characters literally. */
export function likeContains(text: string): string {
  return `%${text.replace(/[!%_]/g, (c) => `!${c}`)}%`;
}
