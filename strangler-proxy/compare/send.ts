import type { UpstreamHandler } from '../forward/upstream-pool.ts';
import { UpstreamPools } from '../forward/upstream-pools.ts';
import type { Send } from './comparator.ts';
import type { Answer } from './diff.ts';

// Headers a client must not forward verbatim to another origin (the pool sets Host and the length).
const dropped = new Set(['host', 'content-length', 'connection', 'transfer-encoding', 'keep-alive']);

/**
 * An HTTP sender over the proxy's own keep-alive upstream pools (forward/upstream-pool.ts),
 * bounded by a timeout per call: the answer is collected in callbacks, with no Readable and
 * no promise chain per response. In the proxy this runs once per shadowed request, in the
 * comparison worker thread; it also serves `compareEndpoints` and `compare replay`.
 */
export function createSender(
  options: { timeoutMs?: number; connections?: number } = {},
): Send & { close(): Promise<void> } {
  const timeout = options.timeoutMs ?? 10_000;
  const pools = new UpstreamPools({
    connections: options.connections ?? 16,
    connectTimeoutMs: Math.min(timeout, 10_000),
  });
  const targets = new Map<string, URL>();
  const send = ((origin, req) => {
    const headers: string[] = [];
    for (let i = 0; i + 1 < req.headers.length; i += 2) {
      const name = req.headers[i]!.toLowerCase();
      if (!dropped.has(name)) headers.push(name, req.headers[i + 1]!);
    }
    let base = targets.get(origin);
    if (!base) {
      base = new URL(origin);
      if (targets.size > 1000) targets.clear();
      targets.set(origin, base);
    }
    // a path relative to the origin as given, as `new URL(path, origin)` resolves it
    const url = base.pathname === '/' && req.path.startsWith('/') ? undefined : new URL(req.path, base);
    return new Promise<Answer>((resolve, reject) => {
      pools.get(base.origin).dispatch(
        {
          method: req.method,
          path: url ? url.pathname + url.search : req.path,
          headers,
          body: req.body ?? null,
          headersTimeout: timeout,
          bodyTimeout: timeout,
        },
        new AnswerCollector(resolve, reject),
      );
    });
  }) as Send & { close(): Promise<void> };
  send.close = () => pools.close();
  return send;
}

/** One call's answer, gathered from the pool's callbacks. */
class AnswerCollector implements UpstreamHandler {
  #status = 0;
  #headers: Record<string, string> = {};
  #chunks: Buffer[] = [];

  constructor(
    private readonly resolve: (answer: Answer) => void,
    private readonly reject: (err: Error) => void,
  ) {}

  onConnect(): void {}

  onHeaders(statusCode: number, rawHeaders: string[]): boolean {
    this.#status = statusCode;
    const headers: Record<string, string> = {};
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
      const name = rawHeaders[i]!.toLowerCase();
      const value = rawHeaders[i + 1]!;
      // repeated headers joined as fetch's Headers joins them
      headers[name] = Object.hasOwn(headers, name) ? `${headers[name]}, ${value}` : value;
    }
    this.#headers = headers;
    return true;
  }

  onData(chunk: Buffer): boolean {
    // no copy: the pool hands on views of socket reads, which are never reused
    this.#chunks.push(chunk);
    return true;
  }

  onComplete(): void {
    const body = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    this.resolve({ status: this.#status, headers: this.#headers, body });
  }

  onError(err: Error): void {
    this.reject(err);
  }
}
