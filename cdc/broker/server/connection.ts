import type net from 'node:net';
import { FrameDecoder } from '../../kafka-protocol/frame-decoder.ts';
import type { BrokerContext } from '../broker-context.ts';
import { BrokerError, FrameSizeError, UnsupportedVersionError } from '../errors.ts';
import { dispatch, type Outcome } from './request-dispatcher.ts';

const WRITE_BUFFER_LIMIT = 64 * 1024 * 1024;

interface Slot {
  outcome?: Outcome;
}

/**
 * One client socket. Requests are handled as they arrive (a Produce waiting for its fsync does
 * not stop the next one from being read) but answered strictly in request order, as Kafka
 * does. Bad bytes close only this socket, with a log line naming the problem.
 */
export class Connection {
  private readonly decoder: FrameDecoder;
  private readonly queue: Slot[] = [];
  private readonly abort = new AbortController();
  private readonly clientHost: string;
  private drained?: () => void;
  private closing = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly broker: BrokerContext,
  ) {
    // A request header alone takes 8 bytes (api key, version, correlation id).
    this.decoder = new FrameDecoder(
      { minBytes: 8, maxBytes: broker.config.maxRequestBytes },
      (size, limits) => new FrameSizeError(size, limits.maxBytes),
    );
    this.clientHost = `/${socket.remoteAddress ?? 'unknown'}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => broker.log.debug({ peer: this.peer, err: err.message }, 'socket error'));
    // A client that sends requests but does not read answers must not grow our memory
    // without bound: stop reading from it until the kernel takes the queued answers.
    socket.on('drain', () => {
      if (!this.closing) socket.resume();
    });
    socket.on('close', () => {
      this.abort.abort();
      this.drained?.();
    });
  }

  get peer(): string {
    return `${this.socket.remoteAddress}:${this.socket.remotePort}`;
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.fail(err);
      return;
    }
    for (const frame of frames) {
      const slot: Slot = {};
      this.queue.push(slot);
      dispatch(frame, this.broker, { clientHost: this.clientHost, closed: this.abort.signal }).then(
        (outcome) => {
          slot.outcome = outcome;
          this.flush();
        },
        (err) => this.fail(err),
      );
      if (this.socket.destroyed) return;
    }
  }

  /** Writes every finished answer at the head of the queue, in order. */
  private flush(): void {
    if (this.socket.destroyed) return;
    this.socket.cork();
    while (this.queue.length > 0 && this.queue[0]!.outcome) {
      const { body, correlationId } = this.queue.shift()!.outcome!;
      if (body === null) continue;
      let size = 4;
      for (const b of body) size += b.length;
      const head = Buffer.allocUnsafe(8);
      head.writeInt32BE(size, 0);
      head.writeInt32BE(correlationId, 4);
      this.socket.write(head);
      for (const b of body) this.socket.write(b);
    }
    this.socket.uncork();
    if (this.socket.writableLength > WRITE_BUFFER_LIMIT) this.socket.pause();
    if (this.queue.length === 0) this.drained?.();
  }

  private fail(err: unknown): void {
    if (this.socket.destroyed) return;
    const known = err instanceof BrokerError;
    const log = this.broker.log;
    const fields = { peer: this.peer, code: known ? err.code : undefined, err: (err as Error)?.message };
    if (known)
      log.warn(
        fields,
        `closing connection: ${err instanceof UnsupportedVersionError ? 'unsupported API or version' : 'bad request bytes'}`,
      );
    else log.error({ ...fields, stack: (err as Error)?.stack }, 'closing connection: request handler failed');
    this.socket.destroy();
  }

  /** Stops reading, releases parked fetches, waits (bounded) for answers in flight, closes. */
  async shutdown(timeoutMs: number): Promise<void> {
    this.closing = true;
    this.socket.pause();
    this.abort.abort();
    if (this.queue.length > 0 && !this.socket.destroyed) {
      await new Promise<void>((resolve) => {
        this.drained = resolve;
        setTimeout(resolve, timeoutMs).unref();
      });
    }
    this.socket.end();
    this.socket.destroySoon?.();
  }
}
