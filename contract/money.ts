/**
 * Money is handled in integer cents, never floats: "12.30" → 1230 → "12.30". The database's
 * DECIMAL columns take and give the string form; the API answers it with exactly two decimals.
 */
const moneyPattern = /^(\d{1,10})(?:\.(\d{1,2}))?$/;

/** Parses "12.3", "12.30" or "12" into cents; undefined when it is not a plain amount. */
export function parseCents(value: string): number | undefined {
  const match = moneyPattern.exec(value);
  if (!match) return undefined;
  const fraction = (match[2] ?? '').padEnd(2, '0');
  return Number(match[1]) * 100 + Number(fraction);
}

/** 1230 → "12.30" (cents must be a safe, non-negative integer). */
export function formatCents(cents: number): string {
  if (!Number.isSafeInteger(cents) || cents < 0) throw new RangeError(`not a cent amount: ${cents}`);
  const whole = Math.floor(cents / 100);
  const fraction = String(cents % 100).padStart(2, '0');
  return `${whole}.${fraction}`;
}

/** Upper bounds of the DECIMAL columns, in cents. */
export const maxPriceCents = 99_999_999_99; // DECIMAL(10,2)
export const maxTotalCents = 9_999_999_999_99; // DECIMAL(12,2)

/** DECIMAL comes back as a string already ("12.30"); keep exactly two decimals whatever the driver did. */
export function formatMoney(value: unknown): string {
  const text = String(value);
  const [whole, fraction = ''] = text.split('.');
  return `${whole}.${fraction.padEnd(2, '0').slice(0, 2)}`;
}
