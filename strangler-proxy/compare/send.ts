import { Agent, type Dispatcher } from 'undici';
import type { Send } from './comparator.ts';
import type { Answer } from './diff.ts';

// Headers a client must not forward verbatim to another origin.
const dropped = new Set(['host', 'content-length', 'connection', 'transfer-encoding', 'keep-alive']);

/**
 * An HTTP sender over a keep-alive undici agent, bounded by a timeout per call. It uses
 * undici's low-level dispatch (as the proxy's forwarding does): the answer is collected in
 * callbacks, with no Readable, no promise chain and no headers object built per response only
 * to be rebuilt here. In the proxy this runs once per shadowed request.
 */
export function createSender(
  options: { timeoutMs?: number; connections?: number } = {},
): Send & { close(): Promise<void> } {
  const agent = new Agent({ connections: options.connections ?? 16, keepAliveTimeout: 10_000 });
  const timeout = options.timeoutMs ?? 10_000;
  const targets = new Map<string, URL>();
  const send = ((origin, req) => {
    const headers: string[] = [];
    for (let i = 0; i + 1 < req.headers.length; i += 2) {
      if (!dropped.has(req.headers[i]!.toLowerCase())) headers.push(req.headers[i]!, req.headers[i + 1]!);
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
      agent.dispatch(
        {
          origin: base.origin,
          path: url ? url.pathname + url.search : req.path,
          method: req.method as Dispatcher.HttpMethod,
          headers,
          body: req.body,
          headersTimeout: timeout,
          bodyTimeout: timeout,
        },
        new AnswerCollector(resolve, reject),
      );
    });
  }) as Send & { close(): Promise<void> };
  send.close = () => agent.close();
  return send;
}

/** One call's answer, gathered from undici's dispatch callbacks. */
class AnswerCollector implements Dispatcher.DispatchHandler {
  #status = 0;
  #headers: Record<string, string> = {};
  #chunks: Buffer[] = [];

  constructor(
    private readonly resolve: (answer: Answer) => void,
    private readonly reject: (err: Error) => void,
  ) {}

  onConnect(): void {}

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    if (statusCode < 200) return true; // 1xx: the final answer follows
    this.#status = statusCode;
    const headers: Record<string, string> = {};
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
      const name = rawHeaders[i]!.toString('latin1').toLowerCase();
      const value = rawHeaders[i + 1]!.toString('latin1');
      // repeated headers joined as undici's own headers object and fetch join them
      headers[name] = Object.hasOwn(headers, name) ? `${headers[name]}, ${value}` : value;
    }
    this.#headers = headers;
    return true;
  }

  onData(chunk: Buffer): boolean {
    // copy: undici may reuse the chunk's memory once onData returns
    this.#chunks.push(Buffer.from(chunk));
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
