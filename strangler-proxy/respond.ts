import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { errorBody, type ProxyErrorCode } from './errors.ts';

/** Every answer the proxy writes itself: JSON error body, never cached. */
export function replyError(
  res: ServerResponse,
  status: number,
  code: ProxyErrorCode,
  message: string,
  close = false,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = errorBody(code, message);
  const headers: Record<string, string | number> = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  };
  if (close) headers.connection = 'close';
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
