import type { Socket } from 'node:net';
import type { ClientRequest, ClientResponse } from '../respond.ts';
import { FastResponse, type ResponseOwner } from './fast-response.ts';
import { parseSimpleRequest } from './simple-request.ts';

export type ClientHandler = (req: ClientRequest, res: ClientResponse) => void;

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
 * Client connections served without node:http's request and response objects, which cost
 * about 30 % of a small proxied request's CPU (docs/proxy.md). A connection stays here as
 * long as every socket read is one plain request (front/simple-request.ts); the first read that
 * is anything else hands the connection, and those bytes, to node:http for the rest of its
 * life. Reads that arrive while a response is being written are kept and looked at after it,
 * so responses go out in request order.
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
    // 'close' follows; the request in flight, if any, is aborted there (proxy-handler.ts)
  };

  readonly #onClose = (): void => {
    this.owner.forget(this);
  };
}
