/** RFC 9110 tchar, by char code: what a header name (or a method) may be made of. */
const tchar = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
  tchar[c.charCodeAt(0)] = 1;

/** Whether text[from, to) is a non-empty RFC 9110 token; checked by char code, no RegExp. */
export function isToken(text: string, from = 0, to = text.length): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || tchar[c] === 0) return false;
  }
  return to > from;
}
