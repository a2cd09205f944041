/**
 * Kafka Connect Decimal: base64 of the unscaled value, big-endian two's complement, minimal
 * length (Java BigInteger.toByteArray). 19.99 at scale 2 → 0x07CF → "B88=". Decoded to a
 * decimal string so nothing is rounded: "19.99", "-0.01", "0.00".
 */
export function decodeDecimalBytes(base64: string, scale: number): string {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length === 0 || bytes.toString('base64') !== normaliseBase64(base64)) {
    throw new RangeError(`not base64 two's complement bytes: ${JSON.stringify(base64)}`);
  }
  let unscaled = 0n;
  for (const byte of bytes) unscaled = (unscaled << 8n) | BigInt(byte);
  if (bytes[0]! & 0x80) unscaled -= 1n << BigInt(bytes.length * 8);
  return scaleDecimal(unscaled, scale);
}

function normaliseBase64(text: string): string {
  const plain = text.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  return plain + '='.repeat((4 - (plain.length % 4)) % 4);
}

/** 8548n, 2 → "85.48"; -1n, 2 → "-0.01"; 5n, 0 → "5"; 5n, -2 → "500". */
export function scaleDecimal(unscaled: bigint, scale: number): string {
  if (!Number.isInteger(scale)) throw new RangeError(`decimal scale must be an integer, got ${scale}`);
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString();
  if (scale <= 0) return `${negative ? '-' : ''}${digits}${'0'.repeat(-scale)}`;
  const padded = digits.padStart(scale + 1, '0');
  const text = `${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
  return negative ? `-${text}` : text;
}
