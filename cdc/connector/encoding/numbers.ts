/**
 * Number text exactly as Kafka's JsonConverter (Jackson) writes it, and Connect Decimal bytes.
 * Jackson prints float/double with Java's Float/Double.toString (shortest round-trip digits,
 * at least one fraction digit, scientific form "1.0E10" outside [1e-3, 1e7)); int64 values can
 * exceed 2^53 and are copied as exact digits, never through a JS number.
 */

/** Java's Double.toString layout for the shortest digits of `value`. */
function javaLayout(expText: string): string {
  // expText is Number#toExponential() output: "-1.2345e+6"
  let s = expText;
  let sign = '';
  if (s[0] === '-') {
    sign = '-';
    s = s.slice(1);
  }
  const e = s.indexOf('e');
  const mantissa = s.slice(0, e);
  const exp = Number(s.slice(e + 1));
  const digits = mantissa.replace('.', '').replace(/(?<=.)0+$/, '');
  if (exp >= -3 && exp < 7) {
    if (exp >= 0) {
      const intPart = digits.length > exp + 1 ? digits.slice(0, exp + 1) : digits.padEnd(exp + 1, '0');
      const frac = digits.length > exp + 1 ? digits.slice(exp + 1) : '0';
      return sign + intPart + '.' + frac;
    }
    return sign + '0.' + '0'.repeat(-exp - 1) + digits;
  }
  return sign + digits[0] + '.' + (digits.length > 1 ? digits.slice(1) : '0') + 'E' + exp;
}

/** A float64 the way Jackson writes a Java double. */
export function javaDoubleText(value: number): string {
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
  const shortest = value.toExponential();
  // Java never settles for one digit: among the two-digit decimals that read back as the value it
  // takes the closest (Double.MIN_VALUE is "4.9E-324", not "5.0E-324").
  return javaLayout(shortest.indexOf('.') === -1 ? value.toExponential(1) : shortest);
}

/**
 * A float32 the way Jackson writes a Java float: the shortest decimal that reads back as the same
 * float32 (the binlog hands us the float widened to a double: 3.1415927410125732 → "3.1415927").
 */
export function javaFloatText(value: number): string {
  const f = Math.fround(value);
  if (f === 0) return Object.is(f, -0) ? '-0.0' : '0.0';
  if (!Number.isFinite(f)) return Number.isNaN(f) ? 'NaN' : f > 0 ? 'Infinity' : '-Infinity';
  if (Math.fround(Number(f.toPrecision(1))) === f) return javaLayout(f.toExponential(1));
  for (let p = 2; p <= 9; p++) {
    const candidate = Number(f.toPrecision(p));
    if (Math.fround(candidate) === f) return javaLayout(candidate.toExponential());
  }
  return javaLayout(f.toExponential());
}

const intPattern = /^-?\d+$/;

/** An integer value (number, exact decimal string or bigint) as JSON digits. */
export function intText(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Math.trunc(value));
  if (typeof value === 'string') {
    // Drivers hand exact digit strings (mysql2 bigNumberStrings, zongji beyond 2^53): pass them through.
    const c = value.charCodeAt(0);
    if (c >= 49 && c <= 57 && intPattern.test(value)) return value;
    if (intPattern.test(value)) return BigInt(value).toString();
  }
  if (typeof value === 'bigint') return value.toString();
  return BigInt(String(value)).toString();
}

const TWO_63 = 2n ** 63n;
const TWO_64 = 2n ** 64n;

/** BIGINT UNSIGNED in `long` mode: values above 2^63-1 wrap to negative, as Java's long does. */
export function unsignedLongText(value: unknown): string {
  if (typeof value === 'number') return String(value);
  const s = typeof value === 'bigint' ? value.toString() : String(value);
  if (s.length < 19) return s;
  const n = BigInt(s);
  return (n >= TWO_63 ? n - TWO_64 : n).toString();
}

/** Big-endian two's complement, minimal length (Java BigInteger.toByteArray). */
export function twosComplementBytes(n: bigint): Buffer {
  if (n >= -140737488355328n && n < 140737488355328n) return smallTwos(Number(n));
  const m = n < 0n ? -n - 1n : n;
  const bitLength = m === 0n ? 0 : m.toString(2).length;
  const len = Math.floor(bitLength / 8) + 1;
  const value = n < 0n ? (1n << BigInt(len * 8)) + n : n;
  return Buffer.from(value.toString(16).padStart(len * 2, '0'), 'hex');
}

/** Fast path for |n| < 2^47: no BigInt. */
function smallTwos(n: number): Buffer {
  let len = 1;
  while (n < -(2 ** (8 * len - 1)) || n >= 2 ** (8 * len - 1)) len++;
  let u = n < 0 ? n + 2 ** (8 * len) : n;
  const out = Buffer.allocUnsafe(len);
  for (let i = len - 1; i >= 0; i--) {
    out[i] = u % 256;
    u = Math.floor(u / 256);
  }
  return out;
}

/**
 * The unscaled integer of a decimal text at `scale` digits ("19.99", 2 → 1999n; "20", 2 → 2000n).
 * Extra fraction digits are dropped (the server never sends more than the column scale).
 */
export function unscaled(text: string, scale: number): bigint | number {
  let s = text.trim();
  let negative = false;
  if (s[0] === '-') {
    negative = true;
    s = s.slice(1);
  } else if (s[0] === '+') s = s.slice(1);
  const dot = s.indexOf('.');
  let intPart = dot < 0 ? s : s.slice(0, dot);
  let frac = dot < 0 ? '' : s.slice(dot + 1);
  if (frac.length < scale) frac = frac.padEnd(scale, '0');
  else if (frac.length > scale) frac = frac.slice(0, scale);
  if (intPart === '') intPart = '0';
  const digits = intPart + frac;
  if (digits.length <= 14) {
    const n = Number(digits);
    return negative ? -n : n;
  }
  const n = BigInt(digits);
  return negative ? -n : n;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

const LIMITS = [0x80, 0x8000, 0x800000, 0x80000000, 0x8000000000, 0x800000000000];
const MODULI = [0x100, 0x10000, 0x1000000, 0x100000000, 0x10000000000, 0x1000000000000];
const scratch = new Uint8Array(6);

/** base64 of the minimal two's complement of |n| < 2^47, without allocating a Buffer. */
function smallTwosBase64(n: number): string {
  let len = 1;
  if (n >= 0) while (n >= LIMITS[len - 1]) len++;
  else while (n < -LIMITS[len - 1]) len++;
  let u = n < 0 ? n + MODULI[len - 1] : n;
  for (let i = len - 1; i >= 0; i--) {
    const b = u % 256;
    scratch[i] = b;
    u = (u - b) / 256;
  }
  let out = '';
  for (let i = 0; i < len; i += 3) {
    const b0 = scratch[i];
    const b1 = i + 1 < len ? scratch[i + 1] : 0;
    const b2 = i + 2 < len ? scratch[i + 2] : 0;
    out += B64[b0 >> 2] + B64[((b0 & 3) << 4) | (b1 >> 4)];
    out += i + 1 < len ? B64[((b1 & 15) << 2) | (b2 >> 6)] : '=';
    out += i + 2 < len ? B64[b2 & 63] : '=';
  }
  return out;
}

/** Connect Decimal payload: base64 of the unscaled two's complement bytes. */
export function decimalBase64(text: string, scale: number): string {
  const u = unscaled(text, scale);
  return typeof u === 'number' ? smallTwosBase64(u) : twosComplementBytes(u).toString('base64');
}

/** BigDecimal.toPlainString at the column scale (keeps trailing zeros: "129.00"). */
export function decimalPlain(text: string, scale: number): string {
  let s = text.trim();
  let sign = '';
  if (s[0] === '-') {
    sign = '-';
    s = s.slice(1);
  } else if (s[0] === '+') s = s.slice(1);
  const dot = s.indexOf('.');
  let intPart = dot < 0 ? s : s.slice(0, dot);
  let frac = dot < 0 ? '' : s.slice(dot + 1);
  intPart = intPart.replace(/^0+(?=\d)/, '') || '0';
  if (frac.length < scale) frac = frac.padEnd(scale, '0');
  else if (frac.length > scale) frac = frac.slice(0, scale);
  return sign + intPart + (scale > 0 ? '.' + frac : '');
}
