import { describe, expect, it } from 'vitest';
import { FrameDecoder } from './frame-decoder.ts';

/** The owner's error (the broker's is FrameSizeError). */
class FrameSizeError extends Error {}

/** As the broker uses it: a request header takes at least 8 bytes. */
const decoder = (max: number) =>
  new FrameDecoder({ minBytes: 8, maxBytes: max }, (size) => new FrameSizeError(`size ${size}`));

const frame = (body: string) => {
  const b = Buffer.from(body);
  const size = Buffer.alloc(4);
  size.writeInt32BE(b.length);
  return Buffer.concat([size, b]);
};

describe('FrameDecoder', () => {
  it('splits pipelined frames and reassembles frames split across reads at any byte', () => {
    const stream = Buffer.concat([frame('first-frame'), frame('second-frame!'), frame('third-frame')]);
    for (let cut = 1; cut < stream.length; cut++) {
      const d = decoder(1024);
      const out = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
      expect(out.map((f) => f.toString())).toEqual(['first-frame', 'second-frame!', 'third-frame']);
      expect(d.pending).toBe(0);
    }
  });

  it('refuses negative, too small and oversized size prefixes before buffering a body', () => {
    for (const size of [-1, 0, 7, 1025]) {
      const head = Buffer.alloc(4);
      head.writeInt32BE(size);
      expect(() => decoder(1024).push(head)).toThrow(FrameSizeError);
    }
  });
});
