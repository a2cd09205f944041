import { ApiKey, apiNames } from '../../kafka-protocol/api-keys.ts';
import { ErrorCode } from '../../kafka-protocol/error-codes.ts';
import { MalformedDataError } from '../../kafka-protocol/errors.ts';
import { Reader } from '../../kafka-protocol/reader.ts';
import { Writer } from '../../kafka-protocol/writer.ts';
import { NO_RESPONSE } from '../apis/api.ts';
import { apis } from '../apis/index.ts';
import type { BrokerContext } from '../broker-context.ts';
import { MalformedRequestError, UnsupportedVersionError } from '../errors.ts';

/** What the connection does with one frame: answer (body chunks after the correlation id), or not. */
export type Outcome = { body: Buffer[] | null; correlationId: number };

/**
 * Request header v1 (every request we parse): api_key int16, api_version int16,
 * correlation_id int32, client_id nullable string. The first 8 bytes are the same in every
 * header version, so even a request we cannot parse gets an answer with its correlation id.
 */
export async function dispatch(
  frame: Buffer,
  broker: BrokerContext,
  peer: { clientHost: string; closed: AbortSignal },
): Promise<Outcome> {
  const r = new Reader(frame);
  const [apiKey, apiVersion, correlationId] = asRequestError(() => [r.int16(), r.int16(), r.int32()]);
  const api = apis.get(apiKey);
  const codec = api?.versions[apiVersion];
  if (!api || !codec) {
    // Kafka answers only ApiVersions at an unknown version (librdkafka opens with v3 and steps
    // down: expected, not worth a warning); any other request it cannot serve closes the
    // connection, and so does this broker, so a client sees the same thing from both.
    if (apiKey !== ApiKey.ApiVersions)
      throw new UnsupportedVersionError(apiNames[apiKey] ?? 'unknown API', apiKey, apiVersion);
    broker.log.debug(
      { apiKey, apiVersion, correlationId },
      'ApiVersions version unknown: answering error 35',
    );
    return { correlationId, body: unsupportedApiVersions(broker) };
  }
  const { clientId, req } = asRequestError(() => ({
    clientId: r.nullableString() ?? '',
    req: codec.decode(r),
  }));
  if (r.remaining() !== 0) {
    throw new MalformedRequestError(
      `${api.name} v${apiVersion} request has ${r.remaining()} unread trailing bytes`,
    );
  }
  const res = await api.handle(req, { broker, apiVersion, clientId, ...peer });
  if (res === NO_RESPONSE) return { correlationId, body: null };
  const w = new Writer();
  codec.encode(w, res);
  return { correlationId, body: w.finish() };
}

/** Undecodable request bytes are the client's fault: the broker's error closes its connection. */
function asRequestError<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof MalformedDataError) throw new MalformedRequestError(err.message, err.context);
    throw err;
  }
}

/**
 * ApiVersions at a version we do not know (librdkafka opens with v3): Kafka's answer is a v0
 * body with error 35 listing the ApiVersions range, and the client retries with v0.
 */
function unsupportedApiVersions(broker: BrokerContext): Buffer[] {
  const own = broker.apiTable.find((a) => a.key === ApiKey.ApiVersions)!;
  return new Writer()
    .int16(ErrorCode.UNSUPPORTED_VERSION)
    .array([own], (w, a) => w.int16(a.key).int16(a.min).int16(a.max))
    .finish();
}
