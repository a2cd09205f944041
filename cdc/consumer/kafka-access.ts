import { Kafka, logLevel } from 'kafkajs';
import { isTlsHandshakeFailure, type KafkaSecurity, kafkajsSecurity } from '../../lib/kafka-security.ts';
import { ConsumerError } from './errors.ts';

/**
 * kafkajs options for a client of the consumer library: brokers, client id and the security
 * that lib/kafka-security.ts read (kafkajs implements TLS and SASL itself).
 */
export function kafkaClientOptions(brokers: string[], clientId: string, security: KafkaSecurity | undefined) {
  return { clientId, brokers, ...(security ? kafkajsSecurity(security) : {}) };
}

type KafkajsError = Error & { code?: unknown; broker?: unknown; type?: unknown };
const causes = (err: unknown): KafkajsError[] => {
  const out: KafkajsError[] = [];
  for (let e = err; e instanceof Error && out.length < 5; e = (e as { cause?: unknown }).cause)
    out.push(e as KafkajsError);
  return out;
};

/** Kafka's SASL error codes as kafkajs names them (a KafkaJSProtocolError's `type`). */
const saslErrorTypes = new Set([
  'UNSUPPORTED_SASL_MECHANISM',
  'ILLEGAL_SASL_STATE',
  'SASL_AUTHENTICATION_FAILED',
]);

/**
 * A refused credential or an untrusted certificate as the consumer library's typed error, or
 * undefined for anything else (a broker not up yet is retried as before).
 */
export function kafkaAccessRefused(
  err: unknown,
  security: KafkaSecurity,
  brokers: string[],
): ConsumerError | undefined {
  for (const e of causes(err)) {
    const broker = typeof e.broker === 'string' ? e.broker : brokers.join(',');
    const sasl = security.sasl;
    const authRefused = (detail: string) =>
      sasl &&
      new ConsumerError(
        'CDC_ERR_KAFKA_AUTH',
        `Kafka broker ${broker}: SASL ${sasl.mechanism} authentication of user ${JSON.stringify(sasl.username)} failed: ${detail}`,
        {
          retriable: false,
          cause: err,
          context: { broker, mechanism: sasl.mechanism, username: sasl.username },
        },
      );
    if (e.name === 'KafkaJSSASLAuthenticationError' && sasl) return authRefused(e.message);
    // A listener without SASL answers the handshake ILLEGAL_SASL_STATE (Kafka's own answer).
    if (e.name === 'KafkaJSProtocolError' && typeof e.type === 'string' && saslErrorTypes.has(e.type) && sasl)
      return authRefused(
        `${e.type} (${e.message})${e.type === 'ILLEGAL_SASL_STATE' ? '; the listener is not a SASL listener (check KAFKA_SECURITY_PROTOCOL)' : ''}`,
      );
    // kafkajs' answer when the broker's ApiVersions lists no SaslHandshake (cdc/broker has no SASL).
    if (e.name === 'KafkaJSServerDoesNotSupportApiKey' && sasl)
      return authRefused(
        'the broker does not offer SaslHandshake: its listener is not a SASL listener (check KAFKA_SECURITY_PROTOCOL)',
      );
    if (security.tls && isTlsHandshakeFailure(e.code, e.message))
      return new ConsumerError(
        'CDC_ERR_KAFKA_TLS',
        `Kafka broker ${broker}: TLS handshake failed: ${e.message} (${String(e.code)}); check KAFKA_SSL_CA_FILE and that the listener speaks TLS`,
        { retriable: false, cause: err, context: { broker, tlsError: e.code } },
      );
  }
  return undefined;
}

/** A start failure that waiting does not heal (a refused credential, an untrusted certificate). */
export function isKafkaAccessRefusal(err: unknown): err is ConsumerError {
  return (
    err instanceof ConsumerError && (err.code === 'CDC_ERR_KAFKA_AUTH' || err.code === 'CDC_ERR_KAFKA_TLS')
  );
}

/**
 * One connection attempt, no retries, before the consumer's own clients (which retry every
 * connection error for about half a minute): a wrong password or CA is reported at start.
 * Other failures (the broker not up yet) are left to the caller's usual retries.
 */
export async function checkKafkaAccess(
  brokers: string[],
  clientId: string,
  security: KafkaSecurity,
): Promise<void> {
  const admin = new Kafka({
    ...kafkaClientOptions(brokers, clientId, security),
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 3000,
  }).admin();
  try {
    await admin.connect();
  } catch (err) {
    const refused = kafkaAccessRefused(err, security, brokers);
    if (refused) throw refused;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
