import http from 'node:http';
import type { Socket } from 'node:net';
import type { RequestState } from '../forward/request-state.ts';
import { clientClosedError } from '../forward/upstream-errors.ts';
import type { ProxyStats } from '../metrics.ts';
import { type ClientRequest, type ClientResponse, replyOnSocket } from '../respond.ts';
import { FastResponse, type ResponseOwner } from './fast-response.ts';
import { parseSimpleRequest } from './simple-request.ts';

/**
 * accept: who owns a client connection, in one place. Every connection the public server
 * accepts starts on the fast path (FastConnection below), which serves plain requests itself
 * without node:http's request and response objects (about 30 % of a small proxied request's
 * CPU: docs/proxy.md). The first socket read that is anything else hands the connection, with
 * those bytes, to node:http for the rest of its life, which keeps every rule for those: parser
 * errors answered here (oversized headers → 431, anything else the parser refuses → 400, both
 * as JSON and then close), header timeouts, bodies, Expect, pipelining. On either path:
 * - one idle timer per connection (PROXY_CLIENT_IDLE_MS), refreshed by its reads and writes,
 *   closes a connection that has no request in flight; a request in flight is left to the
 *   route's upstream timeouts (a slow answer is not the client's fault);
 * - a client that goes away mid-response aborts its upstream attempt (trackRequest).
 * Either path calls the request path (request-path.ts) with a request and a response.
 */

/** What a connection calls for each request it reads: the request path's onRequest. */
export type ClientHandler = (req: ClientRequest, res: ClientResponse) => void;

export function createPublicServer(
  handler: ClientHandler,
  options: { maxHeaderBytes: number; clientIdleMs: number; stats: ProxyStats },
): http.Server {
  const server = new PublicServer(
    {
      maxHeaderSize: options.maxHeaderBytes,
      // No keep-alive timer: node would arm one after every response and clear it at the next
      // request (two timer changes a request). The idle limit below covers idle connections.
      keepAliveTimeout: 0,
      headersTimeout: 20_000,
      requestTimeout: 0, // long uploads are bounded by the body limit and the upstream timeouts
      requireHostHeader: true,
    },
    handler,
    { maxHeaderBytes: options.maxHeaderBytes, clientIdleMs: options.clientIdleMs },
  );
  // The idle timer of the connections node:http serves (the fast path arms its own).
  server.setTimeout(options.clientIdleMs, (socket: Socket) => {
    if (!inFlight(socket)) socket.destroy();
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    if (err.code === 'HPE_HEADER_OVERFLOW') {
      options.stats.reject('headers-too-large');
      replyOnSocket(
        socket,
        431,
        'Request Header Fields Too Large',
        'PROXY_ERR_HEADERS_TOO_LARGE',
        `request headers are over the ${options.maxHeaderBytes}-byte limit (PROXY_MAX_HEADER_BYTES)`,
      );
      return;
    }
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      replyOnSocket(
        socket,
        408,
        'Request Timeout',
        'PROXY_ERR_MALFORMED_REQUEST',
        'request headers took too long',
      );
      return;
    }
    options.stats.reject('malformed');
    replyOnSocket(
      socket,
      400,
      'Bad Request',
      'PROXY_ERR_MALFORMED_REQUEST',
      `malformed HTTP request (${err.code ?? err.message})`,
    );
  });
  return server;
}

/**
 * A node:http server whose connections start on the fast path: node:http serves a connection
 * from its own 'connection' listener (the documented way to inject a connection is to emit that
 * event), so the fast path takes that place and calls node's listener for the connections it
 * hands over.
 */
class PublicServer extends http.Server {
  readonly #fast: FastConnections;

  constructor(
    options: http.ServerOptions,
    handler: ClientHandler,
    fast: { maxHeaderBytes: number; clientIdleMs: number },
  ) {
    super(options, handler);
    const [nodeConnection, ...others] = this.listeners('connection') as ((socket: Socket) => void)[];
    if (nodeConnection === undefined || others.length > 0)
      throw new Error('node:http server without exactly one connection listener: cannot add the fast path');
    this.removeListener('connection', nodeConnection);
    this.#fast = new FastConnections({
      handler,
      handOver: (socket, unread) => {
        nodeConnection.call(this, socket);
        socket.emit('data', unread);
      },
      accepting: () => this.listening,
      ...fast,
    });
    this.on('connection', (socket: Socket) => this.#fast.accept(socket));
  }

  override closeIdleConnections(): void {
    super.closeIdleConnections();
    this.#fast.closeIdle();
  }
}

/** A request the fast path read itself: it never has a body (front/simple-request.ts). */
class FastRequest implements ClientRequest {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly rawHeaders: string[],
    readonly socket: Socket,
  ) {}
}

export interface FastConnectionsOptions {
  handler: ClientHandler;
  /** Gives the connection to node:http, with the bytes the fast path read but did not serve. */
  handOver: (socket: Socket, unread: Buffer) => void;
  /** false once the server is closing: responses then close their connection. */
  accepting: () => boolean;
  maxHeaderBytes: number;
  clientIdleMs: number;
}

/**
 * The connections on the fast path. A connection stays here as long as every socket read is
 * one plain request (front/simple-request.ts); the first read that is anything else hands the
 * connection, and those bytes, to node:http. Reads that arrive while a response is being
 * written are kept and looked at after it, so responses go out in request order.
 */
export class FastConnections {
  readonly #open = new Set<FastConnection>();

  constructor(readonly options: FastConnectionsOptions) {}

  accept(socket: Socket): void {
    this.#open.add(new FastConnection(this, socket));
  }

  forget(connection: FastConnection): void {
    this.#open.delete(connection);
  }

  closeIdle(): void {
    for (const connection of this.#open) connection.closeIfIdle();
  }
}

class FastConnection implements ResponseOwner {
  #res: FastResponse | undefined;
  /** Bytes that came while a response was in flight or the client was not reading. */
  #held: Buffer | undefined;
  /** The client is not reading its answers: nothing more is read or served until 'drain'. */
  #draining = false;
  /** The client has half-closed: finish what it asked for, then close. */
  #ended = false;
  #handedOver = false;

  constructor(
    private readonly owner: FastConnections,
    private readonly socket: Socket,
  ) {
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('timeout', this.#onTimeout);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
    socket.setTimeout(owner.options.clientIdleMs);
  }

  closeIfIdle(): void {
    if (this.#res === undefined) this.socket.destroy();
  }

  responded(close: boolean): void {
    this.#res = undefined;
    if (close || !this.owner.options.accepting()) {
      this.socket.destroySoon();
      return;
    }
    if (this.socket.writableNeedDrain) {
      // answers pile up unread (as node:http does, read no more until the client catches up)
      this.#draining = true;
      this.socket.pause();
      this.socket.once('drain', this.#onDrain);
      return;
    }
    // the next request starts its own exchange, not from inside the upstream read that
    // finished this one; a microtask still runs before any further socket read
    if (this.#held !== undefined) queueMicrotask(this.#next);
    else if (this.#ended) this.socket.destroySoon();
  }

  readonly #onDrain = (): void => {
    this.#draining = false;
    this.#next();
  };

  /** Serves what was held back, then reads again. */
  readonly #next = (): void => {
    if (this.socket.destroyed || this.#res !== undefined) return;
    const held = this.#held;
    this.#held = undefined;
    if (held !== undefined) this.#serve(held);
    else if (this.#ended) {
      this.socket.destroySoon();
      return;
    }
    if (!this.#handedOver && !this.#draining && this.socket.isPaused()) this.socket.resume();
  };

  readonly #onData = (chunk: Buffer): void => {
    if (this.#res !== undefined || this.#draining) {
      this.#held = this.#held === undefined ? chunk : Buffer.concat([this.#held, chunk]);
      // a client that keeps sending without reading answers waits in the kernel, not here
      if (this.#held.length > this.owner.options.maxHeaderBytes) this.socket.pause();
      return;
    }
    this.#serve(chunk);
  };

  #serve(chunk: Buffer): void {
    const options = this.owner.options;
    const request = parseSimpleRequest(chunk, options.maxHeaderBytes);
    if (request === undefined) {
      this.#handOver(chunk);
      return;
    }
    const keepAlive = request.keepAlive && !this.#ended && options.accepting();
    const res = new FastResponse(this, this.socket, request.method === 'HEAD', keepAlive);
    this.#res = res;
    options.handler(new FastRequest(request.method, request.url, request.rawHeaders, this.socket), res);
  }

  #handOver(unread: Buffer): void {
    const socket = this.socket;
    socket.removeListener('data', this.#onData);
    socket.removeListener('end', this.#onEnd);
    socket.removeListener('timeout', this.#onTimeout);
    socket.removeListener('error', this.#onError);
    socket.removeListener('close', this.#onClose);
    this.owner.forget(this);
    this.#handedOver = true;
    let bytes = unread;
    if (socket.isPaused()) {
      // what the socket read while paused comes after the held bytes
      for (let more = socket.read() as Buffer | null; more !== null; more = socket.read() as Buffer | null)
        bytes = Buffer.concat([bytes, more]);
      socket.resume();
    }
    this.owner.options.handOver(socket, bytes);
  }

  readonly #onEnd = (): void => {
    this.#ended = true;
    if (this.#res === undefined && this.#held === undefined && !this.#draining) this.socket.destroySoon();
  };

  readonly #onTimeout = (): void => {
    // a slow upstream answer is left to the route's timeouts, as on the node:http path
    if (this.#res === undefined) this.socket.destroy();
  };

  readonly #onError = (): void => {
    // 'close' follows; the request in flight, if any, is aborted there (trackRequest)
  };

  readonly #onClose = (): void => {
    this.owner.forget(this);
  };
}

/**
 * A client that goes away mid-response must not keep an upstream request (and its pooled
 * connection) busy. One 'close' listener per client socket, not per request: the socket
 * remembers the request it is serving now. Called by the request path for every request, on
 * either path (and on a plain node:http server, as the tests build one).
 */
const kCurrent = Symbol('strangler.current');
type TrackedSocket = Socket & { [kCurrent]?: RequestState };
export function trackRequest(socket: Socket, state: RequestState): void {
  const tracked = socket as TrackedSocket;
  if (!(kCurrent in tracked)) tracked.once('close', onClientSocketClose);
  tracked[kCurrent] = state;
}

/** Whether the connection is serving a request whose response is not finished yet. */
function inFlight(socket: Socket): boolean {
  const state = (socket as TrackedSocket)[kCurrent];
  return state !== undefined && !state.res.writableFinished;
}

function onClientSocketClose(this: TrackedSocket): void {
  const state = this[kCurrent];
  this[kCurrent] = undefined;
  if (state && !state.res.writableFinished) state.attempt?.abort(clientClosedError());
}
