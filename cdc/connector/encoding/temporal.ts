/**
 * MySQL temporal text ('YYYY-MM-DD', 'YYYY-MM-DD HH:MM:SS[.ffffff]', '[-]HHH:MM:SS[.ffffff]', as
 * both mysql2 with dateStrings and zongji give it) to the epoch numbers Debezium emits. Integer
 * arithmetic only (Date.UTC maps years 0–99 to 19xx and rounds nothing we want rounded).
 */

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const mp = (m + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const d2 = (s: string, i: number) => (s.charCodeAt(i) - 48) * 10 + (s.charCodeAt(i + 1) - 48);
const d4 = (s: string, i: number) => d2(s, i) * 100 + d2(s, i + 2);

/** Fraction digits after position `dot` as microseconds (".12" → 120000). */
function micros(s: string, dot: number): number {
  if (dot >= s.length || s[dot] !== '.') return 0;
  let v = 0;
  for (let k = 1; k <= 6; k++) {
    const c = s.charCodeAt(dot + k);
    v = v * 10 + (c >= 48 && c <= 57 ? c - 48 : 0);
  }
  return v;
}

/** True for MySQL zero dates and dates with a zero month or day ('0000-00-00', '2017-00-01'). */
export function isZeroDate(s: string): boolean {
  return d2(s, 5) === 0 || d2(s, 8) === 0 || d4(s, 0) === 0;
}

/** 'YYYY-MM-DD' → days since epoch, or null for a zero date. */
export function dateToDays(s: string): number | null {
  if (isZeroDate(s)) return null;
  return daysFromCivil(d4(s, 0), d2(s, 5), d2(s, 8));
}

/** Epoch seconds + µs of a DATETIME text read as UTC; null for a zero date. */
function datetimeParts(s: string): [number, number] | null {
  if (isZeroDate(s)) return null;
  const days = daysFromCivil(d4(s, 0), d2(s, 5), d2(s, 8));
  const secs = s.length >= 19 ? d2(s, 11) * 3600 + d2(s, 14) * 60 + d2(s, 17) : 0;
  return [days * 86400 + secs, micros(s, 19)];
}

/** DATETIME text → epoch milliseconds (fraction beyond ms truncated toward the past). */
export function datetimeToMillis(s: string): number | null {
  const p = datetimeParts(s);
  return p === null ? null : p[0] * 1000 + Math.floor(p[1] / 1000);
}

/** DATETIME text → epoch microseconds as exact JSON digits (years past 2255 exceed 2^53 µs). */
export function datetimeToMicrosText(s: string): string | null {
  const p = datetimeParts(s);
  if (p === null) return null;
  if (Math.abs(p[0]) < 9_000_000_000) return String(p[0] * 1_000_000 + p[1]);
  return (BigInt(p[0]) * 1_000_000n + BigInt(p[1])).toString();
}

/** TIME text ('-838:59:59', '12:34:56.000001') → signed microseconds. */
export function timeToMicros(s: string): number {
  let i = 0;
  let negative = false;
  if (s[0] === '-') {
    negative = true;
    i = 1;
  }
  const c1 = s.indexOf(':', i);
  let hours = Number(s.slice(i, c1));
  let minutes = d2(s, c1 + 1);
  let seconds = d2(s, c1 + 4);
  if (minutes > 59 || seconds > 59) {
    // zongji 0.9.0 decodes a negative TIME2 without fraction as (|packed| - 1) with the seconds
    // bumped by one, so a magnitude with :00 seconds comes out as '-00:63:64' for -01:00:00.
    // Undo it on the packed h<<12|m<<6|s form; valid times never have fields above 59.
    const packed = ((hours << 12) | (minutes << 6) | (seconds - 1)) + 1;
    hours = packed >> 12;
    minutes = (packed >> 6) & 63;
    seconds = packed & 63;
  }
  const total = (hours * 3600 + minutes * 60 + seconds) * 1_000_000 + micros(s, c1 + 6);
  return negative ? -total : total;
}

/**
 * TIMESTAMP text in UTC → io.debezium.time.ZonedTimestamp ISO text: the fraction keeps the
 * column's fsp digits as the server printed them ('…10:20:00.500' → '…T10:20:00.500Z'); none
 * when fsp is 0. Null for the zero timestamp.
 */
export function timestampToIso(s: string): string | null {
  if (isZeroDate(s)) return null;
  return s.slice(0, 10) + 'T' + s.slice(11) + 'Z';
}
