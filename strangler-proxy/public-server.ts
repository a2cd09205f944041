import http from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../lib/log.ts';
import { type ClientHandler, FastConnections } from './front/fast-connections.ts';
import type { ProxyStats } from './metrics.ts';
import { inFlight } from './proxy-handler.ts';
import { replyOnSocket } from './respond.ts';

/**
 * The public server: a node:http server whose connections start on the fast path
 * (front/fast-connections.ts) and move to node:http at the first request that is not a plain
 * one. node:http keeps every rule for those: parser-level bad input never reaches the handler
 * (oversized headers → 431, anything else the parser refuses → 400, both as JSON and then
 * close), header timeouts, bodies, Expect, pipelining.
 */
class PublicServer extends http.Server {
  readonly #fast: FastConnections;

  constructor(
    options: http.ServerOptions,
    handler: ClientHandler,
    fast: { maxHeaderBytes: number; clientIdleMs: number },
  ) {
    super(options, handler);
    // node:http serves a connection from its own 'connection' listener (the documented way to
    // inject a connection is to emit that event): the fast path takes that place and calls
    // node's listener for the connections it hands over.
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

export function createPublicServer(
  handler: ClientHandler,
  options: { maxHeaderBytes: number; clientIdleMs: number; stats: ProxyStats; log: Logger },
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
  // One idle timer per connection, refreshed by its reads and writes: a connection with no
  // request in flight that stays silent this long is closed. A request in flight is left to the
  // route's upstream timeouts (a slow answer is not the client's fault).
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
