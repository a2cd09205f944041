/** DATETIME/TIMESTAMP (a Date in UTC, the session runs at +00:00) → "2026-01-02T03:04:05.678Z". */
export function isoTime(value: unknown): string {
  const date = value instanceof Date ? value : new Date(String(value));
  return date.toISOString();
}
