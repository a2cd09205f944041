import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { isToken } from '../http-token.ts';
import type { ClientResponse } from '../respond.ts';

/** Where a fast-path response reports that it is done (front/client-connections.ts). */
export interface ResponseOwner {
  responded(close: boolean): void;
}

// with isToken, the checks node's own ServerResponse makes on every header it sends (no
// response splitting)
const invalidValueChar = /[^\t\x20-\x7e\x80-\xff]/;

let dateText = '';
let dateSecond = -1;
/** The Date header node would add, computed once a second. */
function httpDate(): string {
  const second = Math.floor(Date.now() / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(second * 1000).toUTCString();
  }
  return dateText;
}

/**
 * The response to a fast-path request, written straight to the client socket: the head is kept
 * until the first body bytes (or the end) so both go out in one write, and a body of unknown
 * length is sent chunked. It writes what node's ServerResponse would for the same calls
 * (Date when absent, Connection, chunked framing, no body for HEAD, 1xx, 204 and 304).
 */
export class FastResponse implements ClientResponse {
  headersSent = false;
  writableFinished = false;
  #head: string | undefined;
  #chunked = false;
  #noBody: boolean;
  #close: boolean;

  constructor(
    private readonly owner: ResponseOwner,
    private readonly socket: Socket,
    head: boolean,
    keepAlive: boolean,
  ) {
    this.#noBody = head;
    this.#close = !keepAlive;
  }

  get destroyed(): boolean {
    return this.socket.destroyed;
  }

  writeHead(status: number, headers: readonly string[]): this {
    let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'unknown'}\r\n`;
    let hasLength = false;
    let hasDate = false;
    let hasConnection = false;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      const value = headers[i + 1]!;
      if (!isToken(name) || invalidValueChar.test(value))
        throw Object.assign(new Error(`invalid response header ${JSON.stringify(name)}`), {
          code: 'ERR_INVALID_CHAR',
        });
      const n = name.length;
      if (n === 14 || n === 4 || n === 10) {
        const lower = name.toLowerCase();
        if (lower === 'content-length') hasLength = true;
        else if (lower === 'date') hasDate = true;
        else if (lower === 'connection') {
          hasConnection = true;
          if (value.toLowerCase() === 'close') this.#close = true;
        }
      }
      head += `${name}: ${value}\r\n`;
    }
    if (!hasDate) head += `Date: ${httpDate()}\r\n`;
    if (!hasConnection) head += this.#close ? 'Connection: close\r\n' : 'Connection: keep-alive\r\n';
    if (status === 204 || status === 304 || status < 200) this.#noBody = true;
    else if (!this.#noBody && !hasLength) {
      head += 'Transfer-Encoding: chunked\r\n';
      this.#chunked = true;
    }
    this.#head = `${head}\r\n`;
    this.headersSent = true;
    return this;
  }

  write(chunk: Buffer): boolean {
    if (this.#noBody || chunk.length === 0) return this.#flushHead();
    const socket = this.socket;
    socket.cork();
    this.#flushHead();
    const ok = this.#writeBody(chunk);
    socket.uncork();
    return ok;
  }

  end(chunk?: Buffer | string): this {
    if (this.writableFinished) return this;
    this.writableFinished = true;
    if (!this.headersSent) this.writeHead(200, []);
    const socket = this.socket;
    socket.cork();
    this.#flushHead();
    if (chunk !== undefined && chunk.length > 0 && !this.#noBody) this.#writeBody(chunk);
    if (this.#chunked) socket.write('0\r\n\r\n');
    socket.uncork();
    this.owner.responded(this.#close);
    return this;
  }

  destroy(): void {
    this.socket.destroy();
  }

  once(event: 'drain', listener: () => void): this {
    this.socket.once(event, listener);
    return this;
  }

  #flushHead(): boolean {
    const head = this.#head;
    if (head === undefined) return true;
    this.#head = undefined;
    return this.socket.write(head, 'latin1');
  }

  #writeBody(chunk: Buffer | string): boolean {
    const socket = this.socket;
    if (!this.#chunked) return socket.write(chunk);
    socket.write(`${Buffer.byteLength(chunk).toString(16)}\r\n`, 'latin1');
    socket.write(chunk);
    return socket.write('\r\n', 'latin1');
  }
}
