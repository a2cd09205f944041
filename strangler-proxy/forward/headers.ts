import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { dryRunHeader } from '../../contract/index.ts';
import { overrideHeader } from '../flags/tester-override.ts';
import type { ClientRequest } from '../respond.ts';

/**
 * Header hygiene in both directions, working on flat raw arrays ([name, value, name, value…])
 * so nothing builds a headers object on the hot path.
 *
 * Dropped towards the upstream: hop-by-hop headers (RFC 9110 §7.6.1) and any header the
 * client's Connection header names; Host (the upstream's own host is sent, so a Host game
 * cannot steer anything); Expect (the proxy answers 100-continue itself); the forwarding
 * headers, which the proxy rewrites: X-Forwarded-For/-Host/-Proto and Forwarded are replaced
 * (or appended to when PROXY_TRUST_FORWARDED says an edge in front is trusted).
 * A tester's override header is read and dropped (flags/tester-override.ts).
 * `traceparent` keeps the caller's trace id with a new parent id for this hop, or starts a
 * trace when absent or malformed. The dry-run mark (contract/dry-run.ts) is dropped: only the
 * proxy sets it, on its own copy of a write, so a client can never make a service skip a write.
 */
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);
const rewritten = new Set([
  'host',
  'expect',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'forwarded',
  'traceparent',
  dryRunHeader,
]);

const traceparentPattern = /^([0-9a-f]{2})-([0-9a-f]{32})-[0-9a-f]{16}-([0-9a-f]{2})$/;

export interface RequestHeaderResult {
  headers: string[];
  /** The header named by PROXY_USER_HEADER, and Cookie, picked up on the way for stickiness. */
  userHeader: string | undefined;
  cookie: string | undefined;
  /** A tester's override (flags/tester-override.ts): read here, never forwarded. */
  override: string | undefined;
  contentLength: string | undefined;
  chunked: boolean;
}

export function upstreamRequestHeaders(
  req: ClientRequest,
  userHeader: string,
  trustForwarded: boolean,
): RequestHeaderResult {
  const raw = req.rawHeaders;
  const out: string[] = [];
  let connectionTokens: Set<string> | undefined;
  let host = '';
  let xff: string | undefined;
  let xfh: string | undefined;
  let xfp: string | undefined;
  let forwarded: string | undefined;
  let traceparent: string | undefined;
  let user: string | undefined;
  let cookie: string | undefined;
  let override: string | undefined;
  let contentLength: string | undefined;
  let chunked = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    if (name === 'connection') {
      if (value !== 'keep-alive' && value !== 'close') {
        for (const token of value.split(',')) {
          const t = token.trim().toLowerCase();
          if (!t) continue;
          connectionTokens ??= new Set();
          connectionTokens.add(t);
        }
      }
      continue;
    }
    if (hopByHop.has(name)) {
      if (name === 'transfer-encoding') chunked = true;
      continue;
    }
    if (rewritten.has(name)) {
      if (name === 'host') host = value;
      else if (name === 'x-forwarded-for') xff = xff === undefined ? value : `${xff}, ${value}`;
      else if (name === 'x-forwarded-host') xfh ??= value;
      else if (name === 'x-forwarded-proto') xfp ??= value;
      else if (name === 'forwarded') forwarded = forwarded === undefined ? value : `${forwarded}, ${value}`;
      else if (name === 'traceparent') traceparent ??= value;
      continue;
    }
    if (name === overrideHeader) {
      override ??= value;
      continue;
    }
    if (name === userHeader) user ??= value;
    else if (name === 'content-length') contentLength = value;
    else if (name === 'cookie') cookie = cookie === undefined ? value : `${cookie}; ${value}`;
    out.push(name, value);
  }
  if (connectionTokens) {
    for (let i = out.length - 2; i >= 0; i -= 2) {
      if (connectionTokens.has(out[i]!)) out.splice(i, 2);
    }
  }
  const hopInfo = hopOf(req.socket as HopSocket, host);
  const client = hopInfo.client;
  const proto = hopInfo.proto;
  const hop = hopInfo.hop;
  out.push('x-forwarded-for', trustForwarded && xff ? `${xff}, ${client}` : client);
  out.push('x-forwarded-host', trustForwarded && xfh ? xfh : host);
  out.push('x-forwarded-proto', trustForwarded && xfp ? xfp : proto);
  out.push('forwarded', trustForwarded && forwarded ? `${forwarded}, ${hop}` : hop);
  out.push('traceparent', nextTraceparent(traceparent));
  return { headers: out, userHeader: user, cookie, override, contentLength, chunked };
}

/**
 * The client address, scheme and `Forwarded` element of a connection, kept on the socket:
 * they are the same for every request on a keep-alive connection (unless Host changes).
 */
const kHop = Symbol('strangler.hop');
interface Hop {
  host: string;
  client: string;
  proto: string;
  hop: string;
}
type HopSocket = Socket & { encrypted?: boolean; [kHop]?: Hop };
function hopOf(socket: HopSocket, host: string): Hop {
  const cached = socket[kHop];
  if (cached !== undefined && cached.host === host) return cached;
  const client = socket.remoteAddress ?? 'unknown';
  const proto = socket.encrypted ? 'https' : 'http';
  const node = client.includes(':') ? `"[${client}]"` : client;
  const hop: Hop = { host, client, proto, hop: `for=${node};host=${quoteIfNeeded(host)};proto=${proto}` };
  // an address not known yet (socket already gone) is not worth remembering
  if (socket.remoteAddress !== undefined) socket[kHop] = hop;
  return hop;
}

function quoteIfNeeded(value: string): string {
  return /^[A-Za-z0-9.\-_~!#$&'*+^`|]+$/.test(value) ? value : `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/** Keeps trace id and flags from a valid caller traceparent, with a fresh span id for this hop. */
export function nextTraceparent(incoming: string | undefined): string {
  const m = incoming === undefined ? null : traceparentPattern.exec(incoming);
  if (m && m[1] !== 'ff' && !/^0+$/.test(m[2]!)) return `00-${m[2]}-${randomHex(8)}-${m[3]}`;
  return `00-${randomHex(16)}-${randomHex(8)}-01`;
}

// Random bytes are drawn and hex-encoded 4 KiB at a time: per request only a substring.
let hexPool = '';
let hexAt = 0;
function randomHex(bytes: number): string {
  const chars = bytes * 2;
  if (hexAt + chars > hexPool.length) {
    hexPool = randomBytes(4096).toString('hex');
    hexAt = 0;
  }
  const hex = hexPool.substring(hexAt, hexAt + chars);
  hexAt += chars;
  return hex;
}

const responseDrop = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'trailer',
  'upgrade',
]);

/**
 * Upstream response headers (the pool's flat [name, value, …] array) to a flat array for
 * res.writeHead, minus hop-by-hop ones, plus the header naming the side that served. The body length the upstream
 * announced (Content-Length, -1 when absent) is left in `sink.bodyBytes`: the forwarder ends
 * the client response with the last chunk instead of a separate write and end.
 */
export function clientResponseHeaders(
  raw: string[],
  targetHeader: string,
  side: string,
  sink?: { bodyBytes: number },
): string[] {
  const out: string[] = [];
  let connectionTokens: string | undefined;
  let bodyBytes = -1;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    // only names of a dropped or special header's length need lower-casing
    const n = name.length;
    if (n === 10 || n === 7 || n === 17 || n === 16 || n === 14 || n === targetHeader.length) {
      const lower = name.toLowerCase();
      if (lower === 'connection') connectionTokens = value.toLowerCase();
      if (responseDrop.has(lower) || lower === targetHeader) continue;
      if (lower === 'content-length') bodyBytes = bodyBytes === -1 ? Number(value) : Number.NaN;
    }
    out.push(name, value);
  }
  if (connectionTokens && connectionTokens !== 'keep-alive' && connectionTokens !== 'close') {
    const named = new Set(connectionTokens.split(',').map((t) => t.trim()));
    for (let i = out.length - 2; i >= 0; i -= 2) if (named.has(out[i]!.toLowerCase())) out.splice(i, 2);
  }
  out.push(targetHeader, side);
  if (sink) sink.bodyBytes = Number.isSafeInteger(bodyBytes) && bodyBytes >= 0 ? bodyBytes : -1;
  return out;
}

/** Picks a cookie's value out of a Cookie header without building a map. */
export function cookieValue(cookie: string | undefined, name: string): string | undefined {
  if (!cookie || !name) return undefined;
  let at = 0;
  for (;;) {
    at = cookie.indexOf(name, at);
    if (at === -1) return undefined;
    const before = at === 0 ? ' ' : cookie[at - 1]!;
    if ((before === ' ' || before === ';') && cookie[at + name.length] === '=') {
      const start = at + name.length + 1;
      const end = cookie.indexOf(';', start);
      const value = (end === -1 ? cookie.slice(start) : cookie.slice(start, end)).trim();
      return value || undefined;
    }
    at += name.length;
  }
}
