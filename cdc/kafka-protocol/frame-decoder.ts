/**
 * Splits a TCP byte stream into Kafka frames (int32 size, then that many bytes): requests on
 * the broker, responses in the connector's client. One read may hold several frames or part of
 * one. A frame inside one chunk is returned as a slice (no copy); Node never reuses a socket
 * chunk, so slices stay valid as long as they are held. A size outside the limits is refused
 * before any body is buffered, with the owner's own error (`refuse`).
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(
    private readonly limits: { minBytes: number; maxBytes: number },
    private readonly refuse: (size: number, limits: { minBytes: number; maxBytes: number }) => Error,
  ) {}

  /** Adds bytes and returns the complete frames (without the size prefix). Throws `refuse`'s error. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const head = this.chunks[0]!.length >= 4 ? this.chunks[0]! : this.merge();
      const size = head.readInt32BE(0);
      if (size < this.limits.minBytes || size > this.limits.maxBytes) throw this.refuse(size, this.limits);
      if (this.buffered < 4 + size) break;
      const first = this.chunks[0]!.length >= 4 + size ? this.chunks[0]! : this.merge();
      frames.push(first.subarray(4, 4 + size));
      const rest = first.subarray(4 + size);
      this.buffered -= 4 + size;
      if (rest.length > 0) this.chunks[0] = rest;
      else this.chunks.shift();
    }
    return frames;
  }

  private merge(): Buffer {
    const all = Buffer.concat(this.chunks, this.buffered);
    this.chunks = [all];
    return all;
  }

  /** Bytes of an incomplete frame still waiting for the rest. */
  get pending(): number {
    return this.buffered;
  }
}
