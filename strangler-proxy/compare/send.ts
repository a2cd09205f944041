import { Agent, request } from 'undici';
import type { Send } from './comparator.ts';

// Headers a client must not forward verbatim to another origin.
const dropped = new Set(['host', 'content-length', 'connection', 'transfer-encoding', 'keep-alive']);

/** An HTTP sender over a keep-alive undici agent, bounded by a timeout per call. */
export function createSender(
  options: { timeoutMs?: number; connections?: number } = {},
): Send & { close(): Promise<void> } {
  const agent = new Agent({ connections: options.connections ?? 16, keepAliveTimeout: 10_000 });
  const timeout = options.timeoutMs ?? 10_000;
  const send = (async (origin, req) => {
    const headers: string[] = [];
    for (let i = 0; i + 1 < req.headers.length; i += 2) {
      if (!dropped.has(req.headers[i]!.toLowerCase())) headers.push(req.headers[i]!, req.headers[i + 1]!);
    }
    const res = await request(new URL(req.path, origin), {
      method: req.method as 'GET',
      headers,
      body: req.body,
      dispatcher: agent,
      headersTimeout: timeout,
      bodyTimeout: timeout,
    });
    const body = Buffer.from(await res.body.arrayBuffer());
    const flat: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers))
      if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v;
    return { status: res.statusCode, headers: flat, body };
  }) as Send & { close(): Promise<void> };
  send.close = () => agent.close();
  return send;
}
