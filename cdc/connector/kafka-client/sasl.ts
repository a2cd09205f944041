import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { KafkaSasl } from '../../../lib/kafka-security.ts';
import { ApiKey } from '../../kafka-protocol/api-keys.ts';
import { errorName } from '../../kafka-protocol/error-codes.ts';
import type { Reader } from '../../kafka-protocol/reader.ts';
import { Writer } from '../../kafka-protocol/writer.ts';
import { ConnectorError } from '../errors.ts';
import { addressText } from './address.ts';
import type { BrokerConnection } from './connection.ts';

/**
 * SASL on a Kafka connection (KIP-152): SaslHandshake names the mechanism, then each SASL
 * message travels in a SaslAuthenticate request. PLAIN (RFC 4616) is one message; SCRAM
 * (RFC 5802, SHA-256 or SHA-512) is two round trips and proves the broker knows the password
 * too. Kafka allows ApiVersions before the handshake, so the versions are known here.
 *
 * SaslHandshake v1:    request mechanism string; response error_code int16, mechanisms [string]
 * SaslAuthenticate v1: request auth_bytes bytes;
 *                      response error_code int16, error_message nullable string,
 *                               auth_bytes bytes, session_lifetime_ms int64 (v1 only)
 */

/** Kafka's SASL error codes (only a SASL listener answers them, never our broker). */
const UNSUPPORTED_SASL_MECHANISM = 33;
const ILLEGAL_SASL_STATE = 34;
const SASL_AUTHENTICATION_FAILED = 58;
const saslErrorNames: Record<number, string> = {
  [UNSUPPORTED_SASL_MECHANISM]: 'UNSUPPORTED_SASL_MECHANISM',
  [ILLEGAL_SASL_STATE]: 'ILLEGAL_SASL_STATE',
  [SASL_AUTHENTICATION_FAILED]: 'SASL_AUTHENTICATION_FAILED',
};
const nameOf = (code: number) => saslErrorNames[code] ?? errorName(code);

const authError = (conn: BrokerConnection, sasl: KafkaSasl, message: string, code?: number) =>
  new ConnectorError(
    'CONNECTOR_ERR_KAFKA_AUTH',
    `Kafka broker ${addressText(conn.address)}: SASL ${sasl.mechanism} authentication of user ${JSON.stringify(
      sasl.username,
    )} failed: ${message}`,
    {
      retriable: false,
      context: {
        broker: addressText(conn.address),
        mechanism: sasl.mechanism,
        username: sasl.username,
        ...(code !== undefined ? { errorCode: code, error: nameOf(code) } : {}),
      },
    },
  );

/** Picks the highest version both sides speak among those this client writes. */
function versionOf(
  conn: BrokerConnection,
  sasl: KafkaSasl,
  apiKey: number,
  name: string,
  ours: number[],
): number {
  const range = conn.versions.get(apiKey);
  const v = ours.filter((x) => range && x >= range.min && x <= range.max).pop();
  if (v === undefined)
    throw authError(
      conn,
      sasl,
      range
        ? `the broker offers ${name} v${range.min}-v${range.max}, the connector writes v${ours.join('/v')}`
        : `the broker does not offer ${name}: its listener is not a SASL listener (check KAFKA_SECURITY_PROTOCOL)`,
    );
  return v;
}

export async function authenticate(conn: BrokerConnection, sasl: KafkaSasl): Promise<void> {
  const handshakeVersion = versionOf(conn, sasl, ApiKey.SaslHandshake, 'SaslHandshake', [1]);
  const authVersion = versionOf(conn, sasl, ApiKey.SaslAuthenticate, 'SaslAuthenticate', [0, 1]);
  const handshake = await conn.request({
    apiKey: ApiKey.SaslHandshake,
    apiVersion: handshakeVersion,
    body: new Writer().string(sasl.mechanism).finish(),
    decode: (r: Reader) => ({ errorCode: r.int16(), mechanisms: r.array((r) => r.string()) }),
  });
  if (handshake.errorCode !== 0)
    throw authError(
      conn,
      sasl,
      handshake.errorCode === UNSUPPORTED_SASL_MECHANISM
        ? `the listener does not enable ${sasl.mechanism} (it offers ${handshake.mechanisms.join(', ') || 'none'})`
        : `SaslHandshake answered ${nameOf(handshake.errorCode)}${
            handshake.errorCode === ILLEGAL_SASL_STATE
              ? '; the listener is not a SASL listener (check KAFKA_SECURITY_PROTOCOL)'
              : ''
          }`,
      handshake.errorCode,
    );
  const step = async (bytes: Buffer): Promise<Buffer> => {
    const answer = await conn.request({
      apiKey: ApiKey.SaslAuthenticate,
      apiVersion: authVersion,
      body: new Writer().bytes(bytes).finish(),
      decode: (r: Reader) => {
        const out = { errorCode: r.int16(), errorMessage: r.nullableString(), bytes: r.bytes() };
        if (authVersion >= 1) r.int64();
        return out;
      },
    });
    if (answer.errorCode !== 0)
      throw authError(
        conn,
        sasl,
        `${nameOf(answer.errorCode)}${answer.errorMessage ? ` (${answer.errorMessage})` : ''}`,
        answer.errorCode,
      );
    return answer.bytes;
  };
  if (sasl.mechanism === 'PLAIN') {
    await step(Buffer.from(`\0${sasl.username}\0${sasl.password}`, 'utf8'));
    return;
  }
  await scram(conn, sasl, step);
}

/** RFC 5802's saslname: "=" and "," escaped. */
const saslName = (name: string) => name.replace(/=/g, '=3D').replace(/,/g, '=2C');

const attributes = (message: string): Map<string, string> =>
  new Map(message.split(',').map((part) => [part.slice(0, 1), part.slice(2)]));

/**
 * RFC 5802's computations for one exchange, apart from the wire: the client-final message for
 * `serverFirst`, and the signature the server must answer with. `hash` is SCRAM-SHA-256's or
 * SCRAM-SHA-512's.
 */
export function scramFinal(
  hash: 'sha256' | 'sha512',
  password: string,
  clientFirstBare: string,
  serverFirst: { text: string; nonce: string; salt: string; iterations: number },
): { clientFinal: string; serverSignature: Buffer } {
  const keyLength = hash === 'sha512' ? 64 : 32;
  const hmac = (key: Buffer, text: string) => createHmac(hash, key).update(text, 'utf8').digest();
  // The password's UTF-8 bytes as they are: Kafka's ScramFormatter applies no SASLprep either.
  const salted = pbkdf2Sync(
    password,
    Buffer.from(serverFirst.salt, 'base64'),
    serverFirst.iterations,
    keyLength,
    hash,
  );
  const clientKey = hmac(salted, 'Client Key');
  const storedKey = createHash(hash).update(clientKey).digest();
  const withoutProof = `c=biws,r=${serverFirst.nonce}`;
  const authMessage = `${clientFirstBare},${serverFirst.text},${withoutProof}`;
  const signature = hmac(storedKey, authMessage);
  const proof = Buffer.alloc(clientKey.length);
  for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i]! ^ signature[i]!;
  return {
    clientFinal: `${withoutProof},p=${proof.toString('base64')}`,
    serverSignature: hmac(hmac(salted, 'Server Key'), authMessage),
  };
}

async function scram(
  conn: BrokerConnection,
  sasl: KafkaSasl,
  step: (bytes: Buffer) => Promise<Buffer>,
): Promise<void> {
  const nonce = randomBytes(24).toString('base64');
  const clientFirstBare = `n=${saslName(sasl.username)},r=${nonce}`;
  const serverFirst = (await step(Buffer.from(`n,,${clientFirstBare}`, 'utf8'))).toString('utf8');
  const first = attributes(serverFirst);
  const serverNonce = first.get('r');
  const salt = first.get('s');
  const iterations = Number(first.get('i'));
  if (first.has('e')) throw authError(conn, sasl, `the broker refused: ${first.get('e')}`);
  if (!serverNonce?.startsWith(nonce) || !salt || !Number.isInteger(iterations) || iterations < 1)
    throw authError(conn, sasl, `the broker's SCRAM server-first message is not valid (${serverFirst})`);
  const { clientFinal, serverSignature } = scramFinal(
    sasl.mechanism === 'SCRAM-SHA-512' ? 'sha512' : 'sha256',
    sasl.password,
    clientFirstBare,
    { text: serverFirst, nonce: serverNonce, salt, iterations },
  );
  const serverFinal = attributes((await step(Buffer.from(clientFinal, 'utf8'))).toString('utf8'));
  if (serverFinal.has('e')) throw authError(conn, sasl, `the broker refused: ${serverFinal.get('e')}`);
  const got = Buffer.from(serverFinal.get('v') ?? '', 'base64');
  // The broker proves it holds the credential too: a server that does not is not ours to write to.
  if (got.length !== serverSignature.length || !timingSafeEqual(got, serverSignature))
    throw authError(
      conn,
      sasl,
      "the broker's SCRAM signature does not verify (not the broker the credential is for)",
    );
}
