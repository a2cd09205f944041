import { isToken } from '../http-token.ts';
/**
 * A strict HTTP/1.1 response parser for the proxy's own upstream client (upstream-pool.ts).
 * Strict on purpose: whatever framing it cannot be sure of (Content-Length and
 * Transfer-Encoding together, two different lengths, a transfer coding it does not know,
 * folded or bare-LF header lines) is a bad response, never a guess, so an upstream can never
 * desynchronise a pooled connection. Body bytes are handed on as views of the chunk being
 * parsed (the pool copies what must outlive its read buffer).
 */

export type UpstreamErrorCode =
  | 'UPSTREAM_BAD_RESPONSE'
  | 'UPSTREAM_HEADERS_TOO_LARGE'
  | 'UPSTREAM_CONNECT_TIMEOUT'
  | 'UPSTREAM_HEADERS_TIMEOUT'
  | 'UPSTREAM_BODY_TIMEOUT'
  | 'UPSTREAM_CLOSED'
  | 'UPSTREAM_REQUEST_BODY_LENGTH'
  | 'UPSTREAM_POOL_CLOSED';

export class UpstreamError extends Error {
  constructor(
    readonly code: UpstreamErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}

export interface ResponseEvents {
  /** A final (non-1xx) response head. Header names keep the upstream's case. */
  onHead(status: number, headers: string[], keepAlive: boolean, keepAliveMs: number | undefined): void;
  onBody(chunk: Buffer): void;
  onEnd(): void;
}

enum State {
  Head = 0,
  Length = 1,
  ChunkSize = 2,
  ChunkData = 3,
  ChunkDataEnd = 4,
  Trailers = 5,
  UntilClose = 6,
  Done = 7,
}

/** NUL, or a CR or LF not part of the CRLF that ends the line (bare-LF lines, smuggled lines). */
function hasBadValueChar(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 0 || c === 10 || c === 13) return true;
  }
  return false;
}
const headEnd = Buffer.from('\r\n\r\n', 'latin1');
const statusLinePattern = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: |$)/;
const lengthPattern = /^\d{1,15}$/;
const chunkSizePattern = /^([0-9A-Fa-f]{1,12})[ \t]*(?:;.*)?$/;
const keepAliveTimeoutPattern = /(?:^|[,\s])timeout=(\d+)/i;

/** One parser per connection, reset for each request it carries. */
export class ResponseParser {
  #state = State.Done;
  #pending: Buffer | undefined;
  #remaining = 0;
  #noBody = false;
  #bytes = 0;

  constructor(
    private readonly events: ResponseEvents,
    private readonly maxHeaderBytes: number,
  ) {}

  /** The next response answers a request; HEAD answers never carry a body. */
  expect(isHead: boolean): void {
    this.#state = State.Head;
    this.#pending = undefined;
    this.#noBody = isHead;
    this.#bytes = 0;
  }

  /** Bytes of the current response seen so far (0 = the upstream has sent nothing yet). */
  get bytesSeen(): number {
    return this.#bytes;
  }

  /** True while the body runs until the upstream closes the connection. */
  get untilClose(): boolean {
    return this.#state === State.UntilClose;
  }

  /** Feeds socket bytes; throws UpstreamError on anything malformed. */
  execute(chunk: Buffer): void {
    this.#bytes += chunk.length;
    let data = chunk;
    if (this.#pending) {
      data = Buffer.concat([this.#pending, chunk]);
      this.#pending = undefined;
    }
    let at = 0;
    while (at < data.length) {
      switch (this.#state) {
        case State.Head:
          at = this.#head(data, at);
          if (at < 0) return;
          break;
        case State.Length: {
          const n = Math.min(this.#remaining, data.length - at);
          this.#remaining -= n;
          const part = at === 0 && n === data.length ? data : data.subarray(at, at + n);
          at += n;
          if (this.#remaining === 0) this.#state = State.Done;
          this.events.onBody(part);
          if (this.#state === State.Done) this.#finish(data, at);
          break;
        }
        case State.ChunkSize: {
          const eol = data.indexOf('\r\n', at, 'latin1');
          if (eol < 0) {
            this.#keep(data, at, 1024, 'chunk size line');
            return;
          }
          const m = chunkSizePattern.exec(data.toString('latin1', at, eol));
          if (!m) throw bad('malformed chunk size line');
          this.#remaining = Number.parseInt(m[1]!, 16);
          at = eol + 2;
          this.#state = this.#remaining === 0 ? State.Trailers : State.ChunkData;
          break;
        }
        case State.ChunkData: {
          const n = Math.min(this.#remaining, data.length - at);
          this.#remaining -= n;
          const part = data.subarray(at, at + n);
          at += n;
          if (this.#remaining === 0) this.#state = State.ChunkDataEnd;
          this.events.onBody(part);
          break;
        }
        case State.ChunkDataEnd:
          if (data.length - at < 2) {
            this.#keep(data, at, 2, 'chunk end');
            return;
          }
          if (data[at] !== 13 || data[at + 1] !== 10) throw bad('chunk data not followed by CRLF');
          at += 2;
          this.#state = State.ChunkSize;
          break;
        case State.Trailers: {
          const eol = data.indexOf('\r\n', at, 'latin1');
          if (eol < 0) {
            this.#keep(data, at, this.maxHeaderBytes, 'trailer section');
            return;
          }
          const empty = eol === at;
          at = eol + 2;
          if (empty) {
            this.#state = State.Done;
            this.#finish(data, at);
          }
          break;
        }
        case State.UntilClose: {
          const part = at === 0 ? data : data.subarray(at);
          at = data.length;
          this.events.onBody(part);
          break;
        }
        case State.Done:
          throw bad('bytes after the end of the response');
      }
    }
  }

  /** The upstream closed the connection: the end of a close-delimited body, else an error. */
  closed(): void {
    if (this.#state === State.UntilClose) {
      this.#state = State.Done;
      this.events.onEnd();
    }
  }

  #finish(data: Buffer, at: number): void {
    if (at < data.length) throw bad('bytes after the end of the response');
    this.events.onEnd();
  }

  #keep(data: Buffer, at: number, limit: number, what: string): void {
    if (data.length - at > limit) throw bad(`${what} is too long`);
    this.#pending = Buffer.from(data.subarray(at));
  }

  /** Parses one response head at `at`; returns where its body starts, or -1 for "need more". */
  #head(data: Buffer, at: number): number {
    const end = data.indexOf(headEnd, at);
    if (end < 0) {
      if (data.length - at > this.maxHeaderBytes)
        throw new UpstreamError(
          'UPSTREAM_HEADERS_TOO_LARGE',
          `response head over ${this.maxHeaderBytes} bytes`,
        );
      this.#pending = Buffer.from(data.subarray(at));
      return -1;
    }
    if (end - at > this.maxHeaderBytes)
      throw new UpstreamError(
        'UPSTREAM_HEADERS_TOO_LARGE',
        `response head over ${this.maxHeaderBytes} bytes`,
      );
    const text = data.toString('latin1', at, end);
    let eol = text.indexOf('\r\n');
    if (eol < 0) eol = text.length;
    const statusLine = text.slice(0, eol);
    const m = statusLinePattern.exec(statusLine);
    if (!m) throw bad(`malformed status line ${JSON.stringify(statusLine.slice(0, 64))}`);
    const status = Number(m[2]);
    const http10 = m[1] === '0';
    const headers: string[] = [];
    let length: string | undefined;
    let transferEncoding: string | undefined;
    let connection: string | undefined;
    let keepAliveHint: string | undefined;
    // line by line without split's array; names and values checked by char code, not RegExp
    for (let start = eol + 2; start < text.length; start = eol + 2) {
      eol = text.indexOf('\r\n', start);
      if (eol < 0) eol = text.length;
      const colon = text.indexOf(':', start);
      if (colon <= start || colon > eol)
        throw bad(`malformed header line ${JSON.stringify(text.slice(start, Math.min(eol, start + 64)))}`);
      const name = text.slice(start, colon);
      if (!isToken(text, start, colon)) throw bad(`invalid header name ${JSON.stringify(name.slice(0, 64))}`);
      if (hasBadValueChar(text, colon + 1, eol)) throw bad(`invalid character in header ${name}`);
      const value = text.slice(colon + 1, eol).trim();
      // only names as long as a framing header's need lower-casing
      const n = name.length;
      if (n === 14 || n === 17 || n === 10) {
        const lower = name.toLowerCase();
        if (lower === 'content-length') {
          if (!lengthPattern.test(value)) throw bad(`invalid content-length ${JSON.stringify(value)}`);
          if (length !== undefined && length !== value) throw bad('two different content-length headers');
          length = value;
        } else if (lower === 'transfer-encoding') {
          transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
        } else if (lower === 'connection') {
          connection = connection === undefined ? value : `${connection}, ${value}`;
        } else if (lower === 'keep-alive') keepAliveHint = value;
      }
      headers.push(name, value);
    }
    at = end + 4;
    if (status < 200) {
      // 100 Continue and 103 Early Hints precede the real answer; 101 would switch protocols,
      // which the proxy never asks for (Upgrade is dropped as hop-by-hop)
      if (status === 101) throw bad('101 Switching Protocols to a request that asked for no upgrade');
      return at;
    }
    const connectionLower = connection?.toLowerCase();
    let keepAlive =
      connectionLower === 'keep-alive' ||
      (http10
        ? connectionLower !== undefined && /(?:^|,)\s*keep-alive\s*(?:,|$)/.test(connectionLower)
        : connectionLower === undefined || !/(?:^|,)\s*close\s*(?:,|$)/.test(connectionLower));
    const hint = keepAliveHint ? keepAliveTimeoutPattern.exec(keepAliveHint) : null;
    const keepAliveMs = hint ? Number(hint[1]) * 1000 : undefined;
    if (this.#noBody || status === 204 || status === 304) {
      this.#state = State.Done;
    } else if (transferEncoding !== undefined) {
      if (length !== undefined) throw bad('both content-length and transfer-encoding');
      const codings = transferEncoding.toLowerCase().split(',');
      if (codings[codings.length - 1]!.trim() !== 'chunked')
        throw bad(`unsupported transfer-encoding ${JSON.stringify(transferEncoding)}`);
      this.#state = State.ChunkSize;
    } else if (length !== undefined) {
      this.#remaining = Number(length);
      this.#state = this.#remaining === 0 ? State.Done : State.Length;
    } else {
      this.#state = State.UntilClose;
      keepAlive = false;
    }
    this.events.onHead(status, headers, keepAlive, keepAliveMs);
    if (this.#state === State.Done) this.#finish(data, at);
    return at;
  }
}

function bad(message: string): UpstreamError {
  return new UpstreamError('UPSTREAM_BAD_RESPONSE', message);
}
