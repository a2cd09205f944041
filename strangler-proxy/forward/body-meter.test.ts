import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { BodyMeter } from './body-meter.ts';
import { cookieValue, nextTraceparent } from './headers.ts';

const sink = () =>
  new Writable({
    write(_chunk, _enc, cb) {
      cb();
    },
  });

describe('BodyMeter', () => {
  it('passes bytes through, keeps the first captureMax bytes and says when it cut', async () => {
    const meter = new BodyMeter(1000, 5);
    await pipeline(Readable.from([Buffer.from('abc'), Buffer.from('defgh')]), meter, sink());
    expect(meter.bytes).toBe(8);
    expect(meter.captured()?.toString()).toBe('abcde');
    expect(meter.truncated).toBe(true);
  });

  it('fails the stream with PROXY_ERR_BODY_TOO_LARGE past the limit', async () => {
    const meter = new BodyMeter(4, 0);
    await expect(
      pipeline(Readable.from([Buffer.from('abc'), Buffer.from('de')]), meter, sink()),
    ).rejects.toMatchObject({
      code: 'PROXY_ERR_BODY_TOO_LARGE',
      status: 413,
    });
    expect(meter.captured()).toBeUndefined();
  });
});

describe('header helpers', () => {
  it('finds a cookie by exact name', () => {
    expect(cookieValue('xuid=1; uid=abc; sid=9', 'uid')).toBe('abc');
    expect(cookieValue('uid=', 'uid')).toBeUndefined();
    expect(cookieValue('a=1', 'uid')).toBeUndefined();
  });

  it('keeps a valid trace id with a new span, restarts on version ff or an all-zero id', () => {
    expect(nextTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00')).toMatch(
      /^00-4bf92f3577b34da6a3ce929d0e0e4736-(?!00f067aa0ba902b7)[0-9a-f]{16}-00$/,
    );
    expect(nextTraceparent(`00-${'0'.repeat(32)}-00f067aa0ba902b7-01`)).not.toContain('0'.repeat(32));
    expect(nextTraceparent('ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).not.toContain(
      '4bf92f35',
    );
  });
});
