import net from 'node:net';
import tls from 'node:tls';
import {
  isTlsHandshakeFailure,
  type KafkaSecurity,
  plaintext,
  tlsConnectOptions,
} from '../../../lib/kafka-security.ts';
import { ApiKey } from '../../kafka-protocol/api-keys.ts';
import { FrameDecoder } from '../../kafka-protocol/frame-decoder.ts';
import { Reader } from '../../kafka-protocol/reader.ts';
import { Writer } from '../../kafka-protocol/writer.ts';
import { ConnectorError } from '../errors.ts';
import { addressText, type BrokerAddress } from './address.ts';
import { type ApiRange, decodeApiVersionsV0, requireVersions } from './requests.ts';
import { authenticate } from './sasl.ts';

export interface ConnectionOptions {
  clientId: string;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
}

/**
 * The connection seam: everything between "this broker's address" and "a connection that
 * takes requests": a TCP or TLS socket, version negotiation, then SASL when configured
 * (`connectionFactory`), all before the connection is handed out.
 */
export type ConnectionFactory = (
  address: BrokerAddress,
  options: ConnectionOptions,
) => Promise<BrokerConnection>;

/** Responses are far smaller than requests; this only stops a corrupt size from buffering gigabytes. */
const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

interface Pending {
  correlationId: number;
  decode: (r: Reader) => unknown;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

const connectionError = (address: BrokerAddress, message: string, cause?: unknown) =>
  new ConnectorError('CONNECTOR_ERR_KAFKA_CONNECTION', `Kafka broker ${addressText(address)}: ${message}`, {
    retriable: true,
    cause,
    context: { broker: addressText(address) },
  });

/**
 * One socket to one broker. Requests carry header v1 (api key, version, correlation id, client
 * id) and Kafka answers them in order on a connection, so the answer at the head of the stream
 * belongs to the oldest request. Any failure (socket error or close, a request timing out, an
 * answer that does not decode) fails every request still waiting with a retriable
 * CONNECTOR_ERR_KAFKA_CONNECTION and closes the socket: the producer opens a new one.
 */
export class BrokerConnection {
  private nextCorrelationId = 0;
  private readonly pending: Pending[] = [];
  private readonly decoder: FrameDecoder;
  private failure: Error | undefined;
  /** Version ranges the broker advertised (ApiVersions), filled by `openConnection`. */
  versions = new Map<number, ApiRange>();

  constructor(
    readonly address: BrokerAddress,
    private readonly socket: net.Socket,
    private readonly options: ConnectionOptions,
  ) {
    this.decoder = new FrameDecoder({ minBytes: 4, maxBytes: MAX_RESPONSE_BYTES }, (size) =>
      connectionError(address, `response frame size ${size} is not plausible`),
    );
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(connectionError(address, err.message, err)));
    socket.on('close', () => this.fail(connectionError(address, 'connection closed')));
  }

  get closed(): boolean {
    return this.failure !== undefined;
  }

  /** Sends one request; resolves with its decoded answer. */
  request<T>(req: {
    apiKey: number;
    apiVersion: number;
    body: Buffer[];
    decode: (r: Reader) => T;
    timeoutMs?: number;
  }): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = (this.nextCorrelationId + 1) & 0x7fffffff;
    const head = new Writer()
      .int32(0) // size, written below
      .int16(req.apiKey)
      .int16(req.apiVersion)
      .int32(correlationId)
      .string(this.options.clientId)
      .toBuffer();
    let size = head.length - 4;
    for (const b of req.body) size += b.length;
    head.writeInt32BE(size, 0);
    return new Promise<T>((resolve, reject) => {
      const timeoutMs = req.timeoutMs ?? this.options.requestTimeoutMs;
      const timer = setTimeout(
        () => this.fail(connectionError(this.address, `no answer to a request within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.pending.push({
        correlationId,
        decode: req.decode,
        resolve: resolve as (v: unknown) => void,
        reject,
        timer,
      });
      this.socket.cork();
      this.socket.write(head);
      for (const b of req.body) this.socket.write(b);
      this.socket.uncork();
    });
  }

  close(): void {
    this.fail(connectionError(this.address, 'connection closed by the connector'));
  }

  private onData(chunk: Buffer): void {
    try {
      for (const frame of this.decoder.push(chunk)) {
        const p = this.pending.shift();
        const r = new Reader(frame);
        const correlationId = r.int32();
        if (!p || p.correlationId !== correlationId) {
          throw connectionError(
            this.address,
            `answer with correlation id ${correlationId}, expected ${p?.correlationId ?? 'none'}`,
          );
        }
        clearTimeout(p.timer);
        p.resolve(p.decode(r));
      }
    } catch (err) {
      this.fail(
        err instanceof ConnectorError
          ? err
          : connectionError(this.address, `undecodable answer: ${(err as Error).message}`, err),
      );
    }
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.socket.destroy();
  }
}

/**
 * A TCP socket, or a TLS one whose handshake is done, within the timeout. A broker the
 * configured CAs do not vouch for (or a TLS handshake that cannot succeed) is not retriable:
 * CONNECTOR_ERR_KAFKA_TLS stops the connector at start instead of retrying forever.
 */
function brokerSocket(
  address: BrokerAddress,
  timeoutMs: number,
  tlsOptions: tls.ConnectionOptions | undefined,
): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = tlsOptions
      ? tls.connect({ host: address.host, port: address.port, ...tlsOptions })
      : net.connect({ host: address.host, port: address.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(connectionError(address, `connection not established within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once(tlsOptions ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (tlsOptions && isTlsHandshakeFailure(err.code, err.message))
        reject(
          new ConnectorError(
            'CONNECTOR_ERR_KAFKA_TLS',
            `Kafka broker ${addressText(address)}: TLS handshake failed: ${err.message} (${err.code}); check KAFKA_SSL_CA_FILE and that the listener speaks TLS`,
            { retriable: false, cause: err, context: { broker: addressText(address), tlsError: err.code } },
          ),
        );
      else reject(connectionError(address, `cannot connect (${err.message})`, err));
    });
  });
}

/**
 * Connections secured as `security` says: TCP or TLS, then ApiVersions v0 (every Kafka since
 * 0.10 answers it, before SASL too) to check that the broker takes the versions this client
 * writes, then SASL authentication. A refused credential is CONNECTOR_ERR_KAFKA_AUTH, not
 * retriable.
 */
export function connectionFactory(security: KafkaSecurity): ConnectionFactory {
  return async (address, options) => {
    const socket = await brokerSocket(
      address,
      options.connectTimeoutMs,
      tlsConnectOptions(security, address.host),
    );
    const conn = new BrokerConnection(address, socket, options);
    try {
      conn.versions = await conn.request({
        apiKey: ApiKey.ApiVersions,
        apiVersion: 0,
        body: [],
        decode: decodeApiVersionsV0,
      });
      requireVersions(address, conn.versions);
      if (security.sasl) await authenticate(conn, security.sasl);
    } catch (err) {
      conn.close();
      throw err;
    }
    return conn;
  };
}

/** The default connection factory: plain TCP. */
export const openConnection: ConnectionFactory = connectionFactory(plaintext);
