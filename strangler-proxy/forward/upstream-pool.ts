import net from 'node:net';
import type { Readable } from 'node:stream';
import tls from 'node:tls';
import { idempotentMethods } from '../http-methods.ts';
import { type ResponseEvents, ResponseParser, UpstreamError } from './http1-response-parser.ts';

/**
 * The proxy's own HTTP/1.1 client for its upstreams: one keep-alive pool of plain sockets per
 * configured origin. It replaced undici on the hot path because forwarding is the product's
 * core and undici's general machinery cost about a third of the proxy's CPU per request
 * (measured in docs/proxy.md). It does what a reverse proxy needs and nothing else: one
 * request at a time per connection, bodies streamed both ways with backpressure, strict
 * response framing (http1-response-parser.ts), per-request header and body timeouts, and one
 * transparent retry when an idempotent request without a streamed body meets a kept-alive
 * connection the upstream had already closed.
 */

export interface UpstreamRequest {
  method: string;
  /** Origin-form target (path and query), already normalised by the proxy. */
  path: string;
  /** Flat [name, value, …] pairs, lower-case names, no Host and no hop-by-hop headers. */
  headers: string[];
  /**
   * A stream is sent as it comes: with its Content-Length when the headers carry one, else
   * chunked. A Buffer is sent whole with its length (and may be sent again, like no body).
   */
  body: Readable | Buffer | null;
  headersTimeout: number;
  bodyTimeout: number;
}

/** Callbacks of one exchange, in order: onConnect, onHeaders, onData…, then onComplete or onError. */
export interface UpstreamHandler {
  /** `abort` ends the exchange with that error (the connection is not reused). */
  onConnect(abort: (err: Error) => void): void;
  /** Returning false pauses the response until `resume`. */
  onHeaders(status: number, headers: string[], resume: () => void): boolean;
  /** Returning false pauses the response until the `resume` given to onHeaders. */
  onData(chunk: Buffer): boolean;
  onComplete(): void;
  onError(err: Error): void;
}

/**
 * What the forward step (forward-request.ts) sends an attempt through, per upstream origin: the
 * proxy's own pools (upstream-pools.ts) on its hot path, or http-proxy-middleware inside a
 * team's Express app (strangler-proxy/middleware/). Everything around the call (breaker,
 * fallback, answer, record) is the same code for both.
 */
export interface UpstreamClient {
  dispatch(request: UpstreamRequest, handler: UpstreamHandler): void;
}
export interface UpstreamClients {
  get(origin: string): UpstreamClient;
}

export interface PoolOptions {
  /** Most connections open to the origin at once; further requests wait in order. */
  connections: number;
  connectTimeoutMs: number;
  /** How long an idle connection is kept when the upstream sends no Keep-Alive hint. */
  keepAliveMs?: number;
  maxResponseHeaderBytes?: number;
}

const defaultKeepAliveMs = 4_000;
const maxKeepAliveMs = 600_000;
/** Idle connections are given up this long before the upstream's announced keep-alive ends. */
const keepAliveMarginMs = 1_000;
/**
 * Plain-TCP upstream sockets read into this one buffer (net's `onread`): no 64 KiB allocation
 * per read and no Readable push/'data' machinery on the hot path. Its bytes live only until
 * the next read, so whatever outlives the read callback is copied first (body chunks handed on,
 * the parser's partial lines).
 */
const sharedReadBuffer = Buffer.allocUnsafe(64 * 1024);

/** One request's journey through the pool; lives until onComplete or onError. */
class Exchange {
  connection: Connection | undefined;
  finished = false;
  retried = false;
  readonly abort = (err: Error): void => {
    if (this.finished) return;
    if (this.connection) this.connection.fail(err);
    else {
      this.pool.dequeue(this);
      this.fail(err);
    }
  };

  constructor(
    readonly pool: UpstreamPool,
    readonly request: UpstreamRequest,
    readonly handler: UpstreamHandler,
  ) {}

  fail(err: Error): void {
    if (this.finished) return;
    this.finished = true;
    this.connection = undefined;
    this.handler.onError(err);
  }
}

export class UpstreamPool {
  readonly #idle: Connection[] = [];
  readonly #queue: Exchange[] = [];
  readonly #all = new Set<Connection>();
  #closed = false;
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  /** The Host header every request to this origin carries (never the client's). */
  readonly hostHeader: string;
  readonly keepAliveMs: number;
  readonly maxResponseHeaderBytes: number;

  constructor(
    readonly origin: string,
    readonly options: PoolOptions,
  ) {
    const url = new URL(origin);
    this.tls = url.protocol === 'https:';
    this.host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    this.port = Number(url.port || (this.tls ? 443 : 80));
    this.hostHeader = url.host;
    this.keepAliveMs = options.keepAliveMs ?? defaultKeepAliveMs;
    this.maxResponseHeaderBytes = options.maxResponseHeaderBytes ?? 64 * 1024;
  }

  dispatch(request: UpstreamRequest, handler: UpstreamHandler): void {
    const exchange = new Exchange(this, request, handler);
    handler.onConnect(exchange.abort);
    this.assign(exchange, false);
  }

  /** Gives the exchange a connection: an idle one still in its keep-alive, a new one, or a place in line. */
  assign(exchange: Exchange, fresh: boolean): void {
    if (exchange.finished) return;
    if (this.#closed) {
      exchange.fail(new UpstreamError('UPSTREAM_POOL_CLOSED', `${this.origin}: pool closed`));
      return;
    }
    if (!fresh) {
      const now = Date.now();
      for (let c = this.#idle.pop(); c !== undefined; c = this.#idle.pop()) {
        if (now < c.idleUntil) {
          c.run(exchange);
          return;
        }
        c.close();
      }
    }
    if (this.#all.size < this.options.connections) {
      const c = new Connection(this);
      this.#all.add(c);
      c.run(exchange);
      return;
    }
    this.#queue.push(exchange);
  }

  dequeue(exchange: Exchange): void {
    const i = this.#queue.indexOf(exchange);
    if (i >= 0) this.#queue.splice(i, 1);
  }

  /** A connection finished an exchange and may carry another. */
  released(connection: Connection): void {
    if (this.#closed) {
      connection.close();
      return;
    }
    const next = this.#queue.shift();
    if (next) connection.run(next);
    else this.#idle.push(connection);
  }

  /** A connection is closed for good: its slot may open a new one for whoever waits. */
  gone(connection: Connection): void {
    this.#all.delete(connection);
    const i = this.#idle.indexOf(connection);
    if (i >= 0) this.#idle.splice(i, 1);
    const next = this.#queue.shift();
    if (next) this.assign(next, true);
  }

  /** Stops taking requests; idle connections close now, busy ones when their exchange ends. */
  close(): void {
    this.#closed = true;
    for (const c of this.#idle.splice(0)) c.close();
    for (const e of this.#queue.splice(0))
      e.fail(new UpstreamError('UPSTREAM_POOL_CLOSED', `${this.origin}: pool closed`));
  }

  /** Like close, and also ends the exchanges in flight. */
  destroy(): void {
    this.close();
    for (const c of [...this.#all]) c.fail(new UpstreamError('UPSTREAM_POOL_CLOSED', 'pool destroyed'));
  }
}

class Connection implements ResponseEvents {
  readonly #socket: net.Socket;
  readonly #parser: ResponseParser;
  #exchange: Exchange | undefined;
  #connected = false;
  #dead = false;
  #served = 0;
  #keepAlive = true;
  #keepAliveMs: number;
  #headReceived = false;
  #responseDone = false;
  #requestSent = true;
  #timeoutMs = 0;
  #body: BodyPump | undefined;
  #pendingBody: Readable | null | undefined;
  #bodyLength = -1;
  idleUntil = 0;
  readonly #resume = (): void => {
    if (!this.#dead) this.#socket.resume();
  };

  constructor(readonly pool: UpstreamPool) {
    this.#keepAliveMs = pool.keepAliveMs;
    this.#parser = new ResponseParser(this, pool.maxResponseHeaderBytes);
    const socket = pool.tls
      ? tls.connect({
          host: pool.host,
          port: pool.port,
          servername: net.isIP(pool.host) ? undefined : pool.host,
          ALPNProtocols: ['http/1.1'],
        })
      : net.connect({
          host: pool.host,
          port: pool.port,
          onread: { buffer: sharedReadBuffer, callback: (n: number, buf: Buffer) => this.#onRead(n, buf) },
        });
    this.#socket = socket;
    socket.setNoDelay(true);
    this.#setTimeout(pool.options.connectTimeoutMs);
    socket.once(pool.tls ? 'secureConnect' : 'connect', () => {
      this.#connected = true;
      const e = this.#exchange;
      this.#setTimeout(e ? e.request.headersTimeout : this.#keepAliveMs);
      this.#startBody();
    });
    if (pool.tls) socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => this.#onEnd());
    socket.on('error', (err: Error) => this.fail(err));
    socket.on('close', () => this.fail(new UpstreamError('UPSTREAM_CLOSED', 'upstream connection closed')));
    socket.on('timeout', () => this.#onTimeout());
  }

  run(exchange: Exchange): void {
    this.#exchange = exchange;
    exchange.connection = this;
    this.#headReceived = false;
    this.#responseDone = false;
    const { method, path, headers, body } = exchange.request;
    this.#parser.expect(method === 'HEAD');
    let head = `${method} ${path} HTTP/1.1\r\nhost: ${this.pool.hostHeader}\r\n`;
    let length = -1;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      if (name === 'content-length') length = Number(headers[i + 1]);
      head += `${name}: ${headers[i + 1]}\r\n`;
    }
    if (this.#connected) this.#setTimeout(exchange.request.headersTimeout);
    if (body === null) {
      this.#requestSent = true;
      this.#socket.write(`${head}\r\n`, 'latin1');
      return;
    }
    if (Buffer.isBuffer(body)) {
      this.#requestSent = true;
      const socket = this.#socket;
      socket.cork();
      socket.write(length < 0 ? `${head}content-length: ${body.length}\r\n\r\n` : `${head}\r\n`, 'latin1');
      socket.write(body);
      socket.uncork();
      return;
    }
    this.#requestSent = false;
    this.#socket.write(length < 0 ? `${head}transfer-encoding: chunked\r\n\r\n` : `${head}\r\n`, 'latin1');
    // Not a byte of the body is read before the connection opens: a refused connection leaves
    // it untouched, so the proxy can still send it to legacy.
    this.#bodyLength = length;
    this.#pendingBody = body;
    if (this.#connected) this.#startBody();
  }

  #startBody(): void {
    const body = this.#pendingBody;
    if (!body) return;
    this.#pendingBody = undefined;
    this.#body = new BodyPump(this, this.#socket, body, this.#bodyLength);
  }

  /** The request body was sent whole (a response that came first has closed the connection). */
  bodySent(): void {
    this.#body = undefined;
    this.#requestSent = true;
  }

  // ResponseEvents: called by the parser from inside #onData
  onHead(status: number, headers: string[], keepAlive: boolean, keepAliveMs: number | undefined): void {
    const e = this.#exchange!;
    if (this.#dead) return;
    this.#headReceived = true;
    this.#keepAlive = keepAlive;
    if (keepAliveMs !== undefined)
      this.#keepAliveMs = Math.min(Math.max(keepAliveMs - keepAliveMarginMs, 0), maxKeepAliveMs);
    if (!e.handler.onHeaders(status, headers, this.#resume)) this.#socket.pause();
  }

  onBody(chunk: Buffer): void {
    const e = this.#exchange;
    // plain-TCP reads land in sharedReadBuffer, reused by the next read; TLS chunks are their own
    if (e && !this.#dead && !e.handler.onData(this.pool.tls ? chunk : Buffer.from(chunk)))
      this.#socket.pause();
  }

  onEnd(): void {
    this.#responseDone = true;
  }

  #onRead(n: number, buf: Buffer): boolean {
    this.#onData(buf.subarray(0, n));
    return true;
  }

  #onData(chunk: Buffer): void {
    if (this.#dead) return;
    if (!this.#exchange) {
      this.fail(new UpstreamError('UPSTREAM_BAD_RESPONSE', 'bytes from the upstream with no request open'));
      return;
    }
    try {
      this.#parser.execute(chunk);
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    if (!this.#exchange || this.#dead) return; // the handler aborted it from inside a callback
    if (this.#responseDone) this.#complete();
    // The body timeout starts once a read leaves the response unfinished: the usual small
    // answer, head and body in one read, then costs no timer change at all.
    else if (this.#headReceived) this.#setTimeout(this.#exchange.request.bodyTimeout);
  }

  #complete(): void {
    const e = this.#exchange!;
    this.#exchange = undefined;
    e.finished = true;
    e.connection = undefined;
    this.#served++;
    e.handler.onComplete();
    // a response that came before the request body was sent whole leaves the connection
    // mid-request: it cannot carry another one
    if (this.#requestSent) this.#release();
    else this.close();
  }

  #release(): void {
    if (this.#dead || this.#exchange) return;
    if (!this.#keepAlive) {
      this.close();
      return;
    }
    this.idleUntil = Date.now() + this.#keepAliveMs;
    this.pool.released(this);
  }

  #onEnd(): void {
    if (this.#exchange && this.#parser.untilClose) {
      this.#parser.closed();
      this.#complete();
      return;
    }
    this.fail(
      new UpstreamError('UPSTREAM_CLOSED', 'upstream closed the connection before the response was complete'),
    );
  }

  #onTimeout(): void {
    if (!this.#connected) {
      this.fail(
        new UpstreamError(
          'UPSTREAM_CONNECT_TIMEOUT',
          `no connection to ${this.pool.origin} within ${this.pool.options.connectTimeoutMs} ms`,
        ),
      );
    } else if (!this.#exchange) this.close();
    else if (!this.#headReceived)
      this.fail(
        new UpstreamError('UPSTREAM_HEADERS_TIMEOUT', `no response head within ${this.#timeoutMs} ms`),
      );
    else
      this.fail(new UpstreamError('UPSTREAM_BODY_TIMEOUT', `response body idle for ${this.#timeoutMs} ms`));
  }

  #setTimeout(ms: number): void {
    if (ms === this.#timeoutMs) return;
    this.#timeoutMs = ms;
    this.#socket.setTimeout(ms);
  }

  /** Closes a connection that is not carrying an exchange. */
  close(): void {
    this.fail(undefined);
  }

  /** Ends the connection; an exchange in flight gets `err` (or is retried once, see below). */
  fail(err: Error | undefined): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#socket.destroy();
    this.#pendingBody = undefined;
    this.#body?.stop();
    const e = this.#exchange;
    this.#exchange = undefined;
    this.pool.gone(this);
    if (!e || e.finished) return;
    e.connection = undefined;
    // A kept-alive connection the upstream closed just as it was reused: the request never
    // got an answer and, idempotent and with its body (if any) still whole, is safe to send
    // again on a new connection.
    if (
      this.#served > 0 &&
      !e.retried &&
      this.#parser.bytesSeen === 0 &&
      (e.request.body === null || Buffer.isBuffer(e.request.body)) &&
      idempotentMethods.has(e.request.method) &&
      (err === undefined || isConnectionLoss(err))
    ) {
      e.retried = true;
      this.pool.assign(e, true);
      return;
    }
    e.fail(err ?? new UpstreamError('UPSTREAM_CLOSED', 'upstream connection closed'));
  }
}

function isConnectionLoss(err: Error): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'UPSTREAM_CLOSED';
}

/**
 * Streams one request body into the connection: Content-Length bodies as they are (and
 * checked against the length), others chunk-encoded. Pauses the source when the socket is full.
 */
class BodyPump {
  #sent = 0;
  readonly #onData = (chunk: Buffer): void => {
    if (this.length >= 0) {
      this.#sent += chunk.length;
      if (this.#sent > this.length) {
        this.connection.fail(
          new UpstreamError(
            'UPSTREAM_REQUEST_BODY_LENGTH',
            `request body longer than its content-length ${this.length}`,
          ),
        );
        return;
      }
      if (!this.socket.write(chunk)) this.#pause();
      return;
    }
    if (chunk.length === 0) return;
    this.socket.cork();
    this.socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
    this.socket.write(chunk);
    const ok = this.socket.write('\r\n', 'latin1');
    this.socket.uncork();
    if (!ok) this.#pause();
  };
  readonly #onEnd = (): void => {
    this.#detach();
    if (this.length >= 0 && this.#sent !== this.length) {
      this.connection.fail(
        new UpstreamError(
          'UPSTREAM_REQUEST_BODY_LENGTH',
          `request body of ${this.#sent} bytes, content-length said ${this.length}`,
        ),
      );
      return;
    }
    if (this.length < 0) this.socket.write('0\r\n\r\n', 'latin1');
    this.connection.bodySent();
  };
  readonly #onError = (err: Error): void => {
    this.#detach();
    this.connection.fail(err);
  };
  readonly #onDrain = (): void => {
    this.body.resume();
  };

  constructor(
    readonly connection: Connection,
    readonly socket: net.Socket,
    readonly body: Readable,
    /** Declared Content-Length; -1 = chunked. */
    readonly length: number,
  ) {
    body.on('data', this.#onData);
    body.once('end', this.#onEnd);
    body.once('error', this.#onError);
    if (body.readableEnded) this.#onEnd();
  }

  #pause(): void {
    this.body.pause();
    this.socket.once('drain', this.#onDrain);
  }

  #detach(): void {
    this.body.off('data', this.#onData);
    this.body.off('end', this.#onEnd);
    this.body.off('error', this.#onError);
    this.socket.off('drain', this.#onDrain);
  }

  /** The connection is gone: stop reading the body (whoever owns it decides what to do with the rest). */
  stop(): void {
    this.#detach();
    this.body.pause();
  }
}
