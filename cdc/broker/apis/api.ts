import type { Reader } from '../../kafka-protocol/reader.ts';
import type { Writer } from '../../kafka-protocol/writer.ts';
import type { RequestContext } from '../broker-context.ts';

/** Request decoder and response encoder of one API version (one file per version). */
export interface VersionCodec<Req, Res> {
  decode(r: Reader): Req;
  encode(w: Writer, res: Res): void;
}

/** Returned by a handler when Kafka sends no response (Produce with acks=0). */
export const NO_RESPONSE = Symbol('no response');

/** One API: the versions implemented and the handler they share. */
export interface ApiDefinition<Req = unknown, Res = unknown> {
  key: number;
  name: string;
  versions: Record<number, VersionCodec<Req, Res>>;
  /**
   * Advertise from this version although only `versions` are implemented: librdkafka 2.0.2
   * compresses only when the Produce range overlaps its old-format probe (v2), as Kafka 4 too
   * advertises Produce from 0 without serving v0-2. See docs/broker.md.
   */
  advertisedMin?: number;
  handle(req: Req, ctx: RequestContext): Res | typeof NO_RESPONSE | Promise<Res | typeof NO_RESPONSE>;
}

export function defineApi<Req, Res>(def: ApiDefinition<Req, Res>): ApiDefinition {
  return def as unknown as ApiDefinition;
}
