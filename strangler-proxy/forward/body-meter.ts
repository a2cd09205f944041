import { Transform, type TransformCallback } from 'node:stream';
import { ProxyError } from '../errors.ts';

/**
 * Sits between the client's request body and the upstream when the size is not known up
 * front (chunked) or a copy is wanted for the shadow hook: counts bytes and fails the stream
 * with PROXY_ERR_BODY_TOO_LARGE (→ 413) past the limit; keeps the first `captureMax` bytes.
 * Bytes flow through as they come; nothing is held beyond the capture cap.
 */
export class BodyMeter extends Transform {
  bytes = 0;
  readonly #captured: Buffer[] = [];
  #capturedBytes = 0;
  truncated = false;

  constructor(
    private readonly limit: number,
    private readonly captureMax: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) {
      callback(
        new ProxyError(
          'PROXY_ERR_BODY_TOO_LARGE',
          `request body is over the ${this.limit}-byte limit (PROXY_MAX_BODY_BYTES)`,
          {
            status: 413,
          },
        ),
      );
      return;
    }
    if (this.captureMax > 0) {
      const room = this.captureMax - this.#capturedBytes;
      if (room > 0) {
        const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
        this.#captured.push(part);
        this.#capturedBytes += part.length;
      }
      if (chunk.length > room) this.truncated = true;
    }
    callback(null, chunk);
  }

  captured(): Buffer | undefined {
    return this.captureMax > 0 ? Buffer.concat(this.#captured) : undefined;
  }
}
