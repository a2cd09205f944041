import { describe, expect, it } from 'vitest';
import { type ResponseEvents, ResponseParser, UpstreamError } from './http1-response-parser.ts';

interface Parsed {
  status?: number;
  headers?: string[];
  keepAlive?: boolean;
  keepAliveMs?: number;
  body: string;
  ended: boolean;
}

function parserFor(isHead = false) {
  const out: Parsed = { body: '', ended: false };
  const events: ResponseEvents = {
    onHead(status, headers, keepAlive, keepAliveMs) {
      Object.assign(out, { status, headers, keepAlive, keepAliveMs });
    },
    onBody(chunk) {
      out.body += chunk.toString('latin1');
    },
    onEnd() {
      out.ended = true;
    },
  };
  const parser = new ResponseParser(events, 1024);
  parser.expect(isHead);
  return { parser, out };
}

/** Feeds the text in pieces of every size from 1 byte up, so no split point is special. */
function feedSplit(text: string, pieceSize: number, isHead = false): Parsed {
  const { parser, out } = parserFor(isHead);
  const bytes = Buffer.from(text, 'latin1');
  for (let i = 0; i < bytes.length; i += pieceSize) parser.execute(bytes.subarray(i, i + pieceSize));
  return out;
}

function errorOf(text: string, isHead = false): UpstreamError {
  const { parser } = parserFor(isHead);
  try {
    parser.execute(Buffer.from(text, 'latin1'));
  } catch (err) {
    return err as UpstreamError;
  }
  throw new Error('no error');
}

const ok = 'HTTP/1.1 200 OK\r\n';

describe('HTTP/1.1 response parser', () => {
  it('reads a Content-Length body, whatever the chunking of the socket', () => {
    const text = `${ok}Content-Type: text/plain\r\nContent-Length: 11\r\nKeep-Alive: timeout=5\r\n\r\nhello world`;
    for (const size of [1, 2, 3, 7, 16, text.length]) {
      const r = feedSplit(text, size);
      expect(r).toMatchObject({
        status: 200,
        body: 'hello world',
        ended: true,
        keepAlive: true,
        keepAliveMs: 5000,
      });
      expect(r.headers).toEqual([
        'Content-Type',
        'text/plain',
        'Content-Length',
        '11',
        'Keep-Alive',
        'timeout=5',
      ]);
    }
  });

  it('decodes a chunked body with extensions and trailers, split anywhere', () => {
    const text = `${ok}Transfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n`;
    for (const size of [1, 2, 5, 9, text.length]) {
      expect(feedSplit(text, size)).toMatchObject({ body: 'hello world', ended: true, keepAlive: true });
    }
  });

  it('has no body for HEAD, 204 and 304 whatever Content-Length says', () => {
    expect(feedSplit(`${ok}Content-Length: 20\r\n\r\n`, 100, true)).toMatchObject({ body: '', ended: true });
    expect(feedSplit('HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n', 100)).toMatchObject({
      status: 204,
      ended: true,
    });
    expect(feedSplit('HTTP/1.1 304 Not Modified\r\n\r\n', 100)).toMatchObject({ status: 304, ended: true });
  });

  it('skips 100 Continue and 103 Early Hints before the real answer', () => {
    const r = feedSplit(
      `HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n${ok}Content-Length: 2\r\n\r\nok`,
      4,
    );
    expect(r).toMatchObject({ status: 200, body: 'ok', ended: true });
  });

  it('reads a body without length until the upstream closes, and never reuses that connection', () => {
    const { parser, out } = parserFor();
    parser.execute(Buffer.from(`${ok}\r\nsome bytes`, 'latin1'));
    expect(out).toMatchObject({ body: 'some bytes', ended: false, keepAlive: false });
    expect(parser.untilClose).toBe(true);
    parser.closed();
    expect(out.ended).toBe(true);
  });

  it('follows Connection: close and HTTP/1.0 keep-alive rules', () => {
    expect(feedSplit(`${ok}Connection: close\r\nContent-Length: 0\r\n\r\n`, 100).keepAlive).toBe(false);
    expect(feedSplit('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n', 100).keepAlive).toBe(false);
    expect(
      feedSplit('HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n', 100).keepAlive,
    ).toBe(true);
  });

  it('refuses ambiguous or malformed framing instead of guessing', () => {
    const cases: [string, RegExp][] = [
      [
        `${ok}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n`,
        /both content-length and transfer-encoding/,
      ],
      [`${ok}Content-Length: 3\r\nContent-Length: 4\r\n\r\n`, /two different content-length/],
      [`${ok}Content-Length: -1\r\n\r\n`, /invalid content-length/],
      [`${ok}Content-Length: 1e3\r\n\r\n`, /invalid content-length/],
      [`${ok}Transfer-Encoding: gzip\r\n\r\n`, /unsupported transfer-encoding/],
      [`${ok}Transfer-Encoding: chunked\r\n\r\nzz\r\n`, /malformed chunk size/],
      [`${ok}Transfer-Encoding: chunked\r\n\r\n2\r\nokXX`, /not followed by CRLF/],
      [`${ok}Bad Header: x\r\n\r\n`, /invalid header name/],
      [`${ok}X: a\r\n folded\r\n\r\n`, /malformed header line|invalid header name/],
      [`${ok}No-Colon-Here\r\nY: b\r\n\r\n`, /malformed header line/],
      [`${ok}: no name\r\n\r\n`, /malformed header line/],
      [`${ok}X: a\nY: b\r\n\r\n`, /invalid character in header X/],
      [`${ok}X: a\rb\r\n\r\n`, /invalid character in header X/],
      [`${ok}X: a\0b\r\n\r\n`, /invalid character in header X/],
      [`${ok}X: trailing bare LF\n\r\n\r\n`, /invalid character in header X/],
      [`${ok}Bad\u00e9: x\r\n\r\n`, /invalid header name/],
      ['HTTP/2 200\r\n\r\n', /malformed status line/],
      ['HTTP/1.1 20 OK\r\n\r\n', /malformed status line/],
      ['HTTP/1.1 101 Switching Protocols\r\n\r\n', /101/],
      [`${ok}Content-Length: 2\r\n\r\nokEXTRA`, /bytes after the end/],
    ];
    for (const [text, message] of cases) {
      const err = errorOf(text);
      expect(err, text).toBeInstanceOf(UpstreamError);
      expect(err.code).toBe('UPSTREAM_BAD_RESPONSE');
      expect(err.message).toMatch(message);
    }
  });

  it('bounds the response head', () => {
    const err = errorOf(`${ok}X-Big: ${'a'.repeat(2000)}\r\n\r\n`);
    expect(err.code).toBe('UPSTREAM_HEADERS_TOO_LARGE');
    // also when it arrives in pieces, before the end of the head is seen
    const { parser } = parserFor();
    expect(() => {
      for (let i = 0; i < 40; i++)
        parser.execute(Buffer.from(`X-Part-${i}: ${'b'.repeat(40)}\r\n`, 'latin1'));
    }).toThrow(/response head over 1024 bytes/);
  });
});
