import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { errorBody, type ProxyErrorCode } from './errors.ts';

/**
 * What the proxy reads of a client request: node's IncomingMessage, or the fast path's own
 * (front/client-connections.ts). Only node:http hands on a request with a body, as the
 * IncomingMessage stream it is.
 */
export type ClientRequest = Pick<IncomingMessage, 'method' | 'url' | 'rawHeaders' | 'socket'>;

/** What the proxy does with a client response: node's ServerResponse, or the fast path's FastResponse. */
export interface ClientResponse {
  readonly headersSent: boolean;
  readonly destroyed: boolean;
  /** Once the whole response has been handed to the socket. */
  readonly writableFinished: boolean;
  /** Flat [name, value, …] pairs. */
  writeHead(status: number, headers: string[]): unknown;
  /** false: wait for 'drain' before writing more. */
  write(chunk: Buffer): boolean;
  end(chunk?: Buffer | string): unknown;
  destroy(): unknown;
  once(event: 'drain', listener: () => void): unknown;
}

/** Every answer the proxy writes itself: JSON error body, never cached. */
export function replyError(
  res: ClientResponse,
  status: number,
  code: ProxyErrorCode,
  message: string,
  close = false,
  /** More [name, value, …] pairs (Retry-After of a 503). */
  extraHeaders?: string[],
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = errorBody(code, message);
  const headers = [
    'content-type',
    'application/json; charset=utf-8',
    'content-length',
    String(Buffer.byteLength(body)),
    'cache-control',
    'no-store',
  ];
  if (close) headers.push('connection', 'close');
  if (extraHeaders !== undefined) headers.push(...extraHeaders);
  res.writeHead(status, headers);
  res.end(body);
}

/** For parser errors, where there is no ServerResponse: a raw response, then close. */
export function replyOnSocket(
  socket: Socket,
  status: number,
  reason: string,
  code: ProxyErrorCode,
  message: string,
): void {
  if (
    !socket.writable ||
    (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent
  ) {
    socket.destroy();
    return;
  }
  const body = errorBody(code, message);
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
