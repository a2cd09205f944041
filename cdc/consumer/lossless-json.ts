/**
 * JSON.parse that keeps integers beyond 2^53 exact: Debezium writes int64 values (BIGINT
 * columns, `ts_ns`) as plain JSON numbers, and JS numbers would round them. Unsafe integer
 * literals are rewritten to marker strings before the native parser runs, then revived as
 * BigInt. The scan is a single pass over the text that tracks whether it is inside a string.
 */
const marker = '\u0000int:';

export function parseLosslessJson(text: string): unknown {
  const rewritten = quoteUnsafeIntegers(text);
  if (rewritten === text) return JSON.parse(text);
  return JSON.parse(rewritten, (_key, value) =>
    typeof value === 'string' && value.startsWith(marker) ? BigInt(value.slice(marker.length)) : value,
  );
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function quoteUnsafeIntegers(text: string): string {
  let out = '';
  let copiedUpTo = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 34) {
      inString = true;
      continue;
    }
    if (!isDigit(c) && c !== 45) continue;
    let end = i + (c === 45 ? 1 : 0);
    while (end < text.length && isDigit(text.charCodeAt(end))) end++;
    const next = text.charCodeAt(end);
    const isInteger = next !== 46 && next !== 101 && next !== 69; // no '.', 'e', 'E'
    const digits = end - i - (c === 45 ? 1 : 0);
    if (isInteger && digits >= 16 && !Number.isSafeInteger(Number(text.slice(i, end)))) {
      out += `${text.slice(copiedUpTo, i)}"\\u0000int:${text.slice(i, end)}"`;
      copiedUpTo = end;
    }
    i = end - 1;
  }
  return copiedUpTo === 0 ? text : out + text.slice(copiedUpTo);
}
