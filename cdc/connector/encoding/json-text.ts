/**
 * A JSON string as Jackson writes it. Both escape `"`, `\\` and \b \t \n \f \r the same way,
 * but other control characters come out as \u00XX with upper-case hex from Jackson and lower-case
 * from JSON.stringify; only then is the text rebuilt by hand.
 */
export function jsonString(s: string): string {
  const t = JSON.stringify(s);
  if (t.indexOf('\\u') === -1) return t;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c >= 0x20) out += s[i];
    else if (c === 0x08) out += '\\b';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0c) out += '\\f';
    else if (c === 0x0d) out += '\\r';
    else out += '\\u00' + c.toString(16).toUpperCase().padStart(2, '0');
  }
  return out + '"';
}

/**
 * JSON text written as parts and joined once. Concatenating the parts instead builds a deep rope
 * that V8 must flatten before the producer can measure or write it, which cost more than
 * building it.
 */
export function joinedText(write: (out: string[]) => void): string {
  const out: string[] = [];
  write(out);
  return out.join('');
}
