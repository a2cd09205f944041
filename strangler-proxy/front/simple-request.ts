import { isToken } from '../http-token.ts';
/**
 * The fast path reads a client request itself only when one socket read holds exactly one
 * complete request of the plainest kind: `GET`/`HEAD`/`DELETE`/`OPTIONS`, an origin-form
 * target, `HTTP/1.1`, exactly one Host, no body (no Content-Length, no Transfer-Encoding), no
 * Expect, no Upgrade, a Connection header of `keep-alive` or `close` at most, and nothing after
 * the head. The accepted grammar is a strict subset of what node's parser (llhttp) accepts
 * and reads the same way, so the two can never disagree on where a request ends. Everything
 * else — a split head, pipelined requests, a body, HTTP/1.0, any byte outside the grammar —
 * returns undefined and goes to node:http untouched (front/client-connections.ts), which stays
 * the one authority on unusual and malformed input.
 */
export interface SimpleRequest {
  method: string;
  url: string;
  /** [name, value, …] as sent (names keep their case, values are trimmed), like node's rawHeaders. */
  rawHeaders: string[];
  keepAlive: boolean;
}

const methods = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS']);
/** More header lines than this go to node:http (it has its own limit and policy). */
const maxHeaderLines = 64;

function charTable(chars: string, ranges: [number, number][] = []): Uint8Array {
  const table = new Uint8Array(128);
  for (const c of chars) table[c.charCodeAt(0)] = 1;
  for (const [from, to] of ranges) for (let c = from; c <= to; c++) table[c] = 1;
  return table;
}
const alnum: [number, number][] = [
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x61, 0x7a],
];
/** RFC 3986 unreserved, sub-delims, ':', '@', '/', '?' and '%': no '#', quotes, brackets or spaces. */
const targetChar = charTable("-._~!$&'()*+,;=:@/?%", alnum);
/** Visible ASCII, space and tab (no obs-text, no controls). */
const valueChar = charTable('\t', [[0x20, 0x7e]]);

const CR = 13;
const LF = 10;
const SP = 32;
const TAB = 9;

export function parseSimpleRequest(chunk: Buffer, maxHeaderBytes: number): SimpleRequest | undefined {
  const n = chunk.length;
  if (n > maxHeaderBytes || n < 20) return undefined;
  if (chunk[n - 4] !== CR || chunk[n - 3] !== LF || chunk[n - 2] !== CR || chunk[n - 1] !== LF)
    return undefined;
  const s = chunk.toString('latin1');
  const sp = s.indexOf(' ');
  if (sp < 3 || sp > 7) return undefined;
  const method = s.slice(0, sp);
  if (!methods.has(method)) return undefined;
  const lineEnd = s.indexOf('\r\n', sp);
  const targetEnd = lineEnd - 9; // ' HTTP/1.1'
  if (targetEnd <= sp + 1 || !s.startsWith(' HTTP/1.1', targetEnd) || s.charCodeAt(sp + 1) !== 0x2f)
    return undefined;
  for (let i = sp + 2; i < targetEnd; i++) {
    const c = s.charCodeAt(i);
    if (c > 127 || targetChar[c] === 0) return undefined;
  }
  const rawHeaders: string[] = [];
  let hosts = 0;
  let keepAlive = true;
  // every line up to the final CRLF CRLF, which the checks above put at the very end
  for (let at = lineEnd + 2; at < n - 2; ) {
    const end = s.indexOf('\r\n', at);
    if (end === at || rawHeaders.length === 2 * maxHeaderLines) return undefined;
    const colon = s.indexOf(':', at);
    if (colon < 0 || colon >= end || !isToken(s, at, colon)) return undefined;
    let from = colon + 1;
    let to = end;
    for (let i = from; i < to; i++) {
      const c = s.charCodeAt(i);
      if (c > 127 || valueChar[c] === 0) return undefined;
    }
    while (from < to && (s.charCodeAt(from) === SP || s.charCodeAt(from) === TAB)) from++;
    while (to > from && (s.charCodeAt(to - 1) === SP || s.charCodeAt(to - 1) === TAB)) to--;
    const name = s.slice(at, colon);
    const value = s.slice(from, to);
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === 'host') hosts++;
        break;
      case 6:
        if (name.toLowerCase() === 'expect') return undefined;
        break;
      case 7:
        if (name.toLowerCase() === 'upgrade') return undefined;
        break;
      case 10:
        if (name.toLowerCase() === 'connection') {
          const v = value.toLowerCase();
          if (v === 'close') keepAlive = false;
          else if (v !== 'keep-alive') return undefined;
        }
        break;
      case 14:
        if (name.toLowerCase() === 'content-length') return undefined;
        break;
      case 17:
        if (name.toLowerCase() === 'transfer-encoding') return undefined;
        break;
    }
    rawHeaders.push(name, value);
    at = end + 2;
  }
  if (hosts !== 1) return undefined;
  return { method, url: s.slice(sp + 1, targetEnd), rawHeaders, keepAlive };
}
