import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { createProxyMiddleware, type Plugin, type RequestHandler } from 'http-proxy-middleware';
import { UpstreamError } from '../forward/http1-response-parser.ts';
import type {
  UpstreamClient,
  UpstreamClients,
  UpstreamHandler,
  UpstreamRequest,
} from '../forward/upstream-pool.ts';

/**
 * The middleware's upstream client: the forward step's attempts (forward/forward-request.ts)
 * sent through http-proxy-middleware, one instance and one keep-alive agent per origin the route
 * table names. It plays the part the proxy's own pools (forward/upstream-pools.ts) play on the
 * standalone hot path, behind the same interface (`UpstreamClients`), so the breaker, the
 * fallback to legacy, the answer to the client and the record step are the very same code.
 *
 * What http-proxy-middleware gets per attempt is an `UpstreamAttempt`, not the client's request:
 * the request as the forward step made it ready (normalised path, the proxy's header hygiene,
 * forward/headers.ts) and its body stream. Its `pipe` is where http-proxy hands over the
 * upstream request: a body is streamed only once the connection is open, so a refused
 * connection leaves it whole for the fallback, as on the standalone path. The response is
 * handled here (`selfHandleResponse`) and handed to the attempt's handler (forward/answer-client.ts),
 * which holds back a 5xx that may still fall back, tees for the shadow hook and writes the client.
 */
export interface HpmUpstreamOptions {
  /** Keep-alive connections per origin (PROXY_UPSTREAM_CONNECTIONS). */
  connections: number;
  connectTimeoutMs: number;
}

export class HpmUpstreams implements UpstreamClients {
  readonly #byOrigin = new Map<string, HpmUpstream>();

  constructor(private readonly options: HpmUpstreamOptions) {}

  get(origin: string): HpmUpstream {
    let upstream = this.#byOrigin.get(origin);
    if (!upstream) {
      upstream = new HpmUpstream(origin, this.options);
      this.#byOrigin.set(origin, upstream);
    }
    return upstream;
  }

  /** After a route table change: drop the origins no table names any more. */
  retain(origins: ReadonlySet<string>): void {
    for (const [origin, upstream] of this.#byOrigin) {
      if (!origins.has(origin)) {
        this.#byOrigin.delete(origin);
        upstream.agent.destroy();
      }
    }
  }

  close(): void {
    for (const upstream of this.#byOrigin.values()) upstream.agent.destroy();
    this.#byOrigin.clear();
  }
}

/** http-proxy's events, to the attempt they belong to (a plugin: http-proxy-middleware's own hook). */
const attemptEvents: Plugin<UpstreamAttempt, UpstreamAttempt> = (proxyServer) => {
  // the typings give the upstream's response the client request's type; it is node's IncomingMessage
  proxyServer.on('proxyRes', (proxyRes, attempt) =>
    attempt.onResponse(proxyRes as unknown as http.IncomingMessage),
  );
  proxyServer.on('error', (err, attempt) => attempt.fail(err));
};

export class HpmUpstream implements UpstreamClient {
  readonly agent: http.Agent;
  readonly hostHeader: string;
  readonly connectTimeoutMs: number;
  readonly #proxy: RequestHandler<UpstreamAttempt, UpstreamAttempt>;

  constructor(origin: string, options: HpmUpstreamOptions) {
    const url = new URL(origin);
    const secure = url.protocol === 'https:';
    this.agent = new (secure ? https : http).Agent({ keepAlive: true, maxSockets: options.connections });
    this.hostHeader = url.host;
    this.connectTimeoutMs = options.connectTimeoutMs;
    this.#proxy = createProxyMiddleware<UpstreamAttempt, UpstreamAttempt>({
      // parsed once here: a string target is parsed again for every request
      target: {
        protocol: url.protocol,
        host: url.hostname.replace(/^\[|\]$/g, ''),
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: Number(url.port || (secure ? 443 : 80)),
      },
      agent: this.agent,
      selfHandleResponse: true,
      // the default plugins answer errors with their own text and log every response; the
      // forward step answers errors (the proxy's error codes) and the record step counts
      ejectPlugins: true,
      plugins: [attemptEvents],
    });
  }

  dispatch(request: UpstreamRequest, handler: UpstreamHandler): void {
    const attempt = new UpstreamAttempt(request, handler, this);
    handler.onConnect(attempt.abort);
    this.#proxy(attempt, attempt, attempt.notProxied).catch(attempt.fail);
  }
}

/** The attempt's side of the client connection, as http-proxy reads it: never the cause of an upstream error. */
const noClientSocket = Object.freeze({ destroyed: false });
const kAttempt = Symbol('strangler.attempt');
type Tagged<T> = T & { [kAttempt]?: UpstreamAttempt };

/**
 * One forwarding attempt as http-proxy-middleware sees it: its `req` (method, url, headers, the
 * body through `pipe`) and its `res` (only `finished` is read: the response is ours). Ends once
 * with the handler's onComplete or onError.
 */
export class UpstreamAttempt {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly socket = noClientSocket;
  readonly finished = false;
  #proxyReq: http.ClientRequest | undefined = undefined;
  #response: http.IncomingMessage | undefined = undefined;
  #connectTimer: NodeJS.Timeout | undefined = undefined;
  #done = false;

  constructor(
    readonly request: UpstreamRequest,
    readonly handler: UpstreamHandler,
    readonly upstream: HpmUpstream,
  ) {
    this.method = request.method;
    this.url = request.path;
    this.headers = headerObject(request, upstream.hostHeader);
  }

  /** http-proxy pipes "the request body" into the upstream request: here it starts the attempt. */
  pipe(proxyReq: http.ClientRequest): http.ClientRequest {
    this.#proxyReq = proxyReq;
    if (this.#done) {
      // aborted while http-proxy-middleware was preparing (it awaits before proxying)
      proxyReq.destroy();
      return proxyReq;
    }
    (proxyReq as Tagged<http.ClientRequest>)[kAttempt] = this;
    proxyReq.setTimeout(this.request.headersTimeout, onUpstreamTimeout);
    proxyReq.once('socket', onUpstreamSocket);
    const body = this.request.body;
    if (body === null) proxyReq.end();
    else if (Buffer.isBuffer(body)) proxyReq.end(body);
    // a streamed body waits for the connection (onConnected)
    return proxyReq;
  }

  /** http-proxy listens for the client request's 'aborted' and 'error': the front door aborts the attempt instead. */
  on(): this {
    return this;
  }

  readonly abort = (err: Error): void => {
    if (this.#done) return;
    this.#finish();
    this.handler.onError(err);
    this.#proxyReq?.destroy();
  };

  readonly fail = (err: unknown): void => {
    if (this.#done) return;
    this.#finish();
    this.handler.onError(err instanceof Error ? err : new Error(String(err)));
  };

  /** http-proxy-middleware calls next() only for a request it does not proxy: with no path filter, never. */
  readonly notProxied = (err?: unknown): void => {
    this.fail(err ?? new Error('http-proxy-middleware did not proxy the request'));
  };

  connecting(socket: Socket): void {
    if (this.#done) return;
    if (socket.connecting) {
      this.#connectTimer = setTimeout(onConnectTimeout, this.upstream.connectTimeoutMs, this);
      socket.once('connect', () => this.#connected());
    } else this.#connected();
  }

  #connected(): void {
    clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
    const body = this.request.body;
    if (this.#done || body === null || Buffer.isBuffer(body)) return;
    // Not a byte of a streamed body is read before the connection is open (see the header).
    const stream = body as Readable;
    stream.once('error', this.abort);
    stream.pipe(this.#proxyReq!);
  }

  timedOut(): void {
    this.abort(
      this.#response === undefined
        ? new UpstreamError(
            'UPSTREAM_HEADERS_TIMEOUT',
            `no response head within ${this.request.headersTimeout} ms`,
          )
        : new UpstreamError('UPSTREAM_BODY_TIMEOUT', `response body idle for ${this.request.bodyTimeout} ms`),
    );
  }

  onResponse(res: http.IncomingMessage): void {
    if (this.#done) {
      res.destroy();
      return;
    }
    this.#response = res;
    if (this.request.bodyTimeout !== this.request.headersTimeout)
      this.#proxyReq!.setTimeout(this.request.bodyTimeout);
    const tagged = res as Tagged<http.IncomingMessage>;
    tagged[kAttempt] = this;
    res.on('data', onResponseData);
    res.once('end', onResponseEnd);
    res.once('close', onResponseClose);
    res.on('error', onResponseError);
    if (!this.handler.onHeaders(res.statusCode!, res.rawHeaders, () => res.resume())) res.pause();
  }

  data(chunk: Buffer): void {
    if (!this.#done && !this.handler.onData(chunk)) this.#response!.pause();
  }

  ended(): void {
    if (this.#done) return;
    this.#finish();
    this.handler.onComplete();
  }

  #finish(): void {
    this.#done = true;
    if (this.#connectTimer !== undefined) clearTimeout(this.#connectTimer);
  }
}

// Listeners shared by every attempt (no closure per request): `this` is the emitter, which
// carries its attempt.
function onUpstreamSocket(this: Tagged<http.ClientRequest>, socket: Socket): void {
  this[kAttempt]!.connecting(socket);
}
function onUpstreamTimeout(this: Tagged<http.ClientRequest>): void {
  this[kAttempt]!.timedOut();
}
function onConnectTimeout(attempt: UpstreamAttempt): void {
  attempt.abort(
    new UpstreamError(
      'UPSTREAM_CONNECT_TIMEOUT',
      `no connection within ${attempt.upstream.connectTimeoutMs} ms`,
    ),
  );
}
function onResponseData(this: Tagged<http.IncomingMessage>, chunk: Buffer): void {
  this[kAttempt]!.data(chunk);
}
function onResponseEnd(this: Tagged<http.IncomingMessage>): void {
  this[kAttempt]!.ended();
}
function onResponseClose(this: Tagged<http.IncomingMessage>): void {
  // after 'end' this does nothing; before it, the upstream went away mid-response
  this[kAttempt]!.fail(new UpstreamError('UPSTREAM_CLOSED', 'upstream closed the connection mid-response'));
}
function onResponseError(this: Tagged<http.IncomingMessage>, err: Error): void {
  this[kAttempt]!.fail(err);
}

/**
 * The headers http-proxy sends (it copies them into the upstream request): the forward step's
 * flat list (hop-by-hop removed, X-Forwarded-*, Forwarded and traceparent set), the origin's own
 * Host, and chunked framing for a streamed body of unknown length, whatever the method.
 */
function headerObject(request: UpstreamRequest, host: string): Record<string, string> {
  const flat = request.headers;
  const out: Record<string, string> = { host };
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i]!;
    const prev = out[name];
    out[name] =
      prev === undefined ? flat[i + 1]! : `${prev}${name === 'cookie' ? '; ' : ', '}${flat[i + 1]!}`;
  }
  const body = request.body;
  if (body !== null && !Buffer.isBuffer(body) && out['content-length'] === undefined)
    out['transfer-encoding'] = 'chunked';
  return out;
}
