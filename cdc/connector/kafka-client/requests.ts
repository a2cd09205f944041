import { ApiKey, apiNames } from '../../kafka-protocol/api-keys.ts';
import { errorName } from '../../kafka-protocol/error-codes.ts';
import type { Reader } from '../../kafka-protocol/reader.ts';
import { Writer } from '../../kafka-protocol/writer.ts';
import { ConnectorError } from '../errors.ts';
import { addressText, type BrokerAddress } from './address.ts';

/**
 * The client side of the three APIs the connector's producer speaks: it encodes their requests
 * and decodes their responses (the broker's `cdc/broker/apis/` does the opposite). Grammar as
 * in the broker's version files; every Kafka from 1.0 to 4.x takes these versions.
 */
export const VERSIONS = { Produce: 3, Metadata: 4 } as const;

export type ApiRange = { min: number; max: number };

/**
 * ApiVersions v0
 *   response: error_code int16, api_keys [api_key int16, min_version int16, max_version int16]
 */
export function decodeApiVersionsV0(r: Reader): Map<number, ApiRange> {
  const errorCode = r.int16();
  const keys = r.array((r) => ({ key: r.int16(), min: r.int16(), max: r.int16() }));
  if (errorCode !== 0) throw new Error(`ApiVersions answered ${errorName(errorCode)}`);
  return new Map(keys.map((k) => [k.key, { min: k.min, max: k.max }]));
}

/** Refuses a broker that cannot take the versions this client writes, naming what it offers. */
export function requireVersions(address: BrokerAddress, versions: ReadonlyMap<number, ApiRange>): void {
  for (const [name, version] of Object.entries(VERSIONS)) {
    const key = ApiKey[name as keyof typeof VERSIONS];
    const range = versions.get(key);
    if (!range || range.min > version || range.max < version) {
      throw new ConnectorError(
        'CONNECTOR_ERR_KAFKA_VERSION',
        `Kafka broker ${addressText(address)} does not take ${name} v${version} (it offers ${
          range ? `v${range.min}-v${range.max}` : 'none'
        }); the connector needs a Kafka of version 1.0 or later`,
        { context: { broker: addressText(address), api: apiNames[key], offered: range ?? null } },
      );
    }
  }
}

/**
 * Metadata v4
 *   request:  topics nullable [name string] (empty = none), allow_auto_topic_creation bool
 *   response: throttle_time_ms int32,
 *             brokers [node_id int32, host string, port int32, rack nullable string],
 *             cluster_id nullable string, controller_id int32,
 *             topics [error_code int16, name string, is_internal bool,
 *                     partitions [error_code int16, partition_index int32, leader_id int32,
 *                                 replica_nodes [int32], isr_nodes [int32]]]
 */
export interface Metadata {
  brokers: Array<{ nodeId: number } & BrokerAddress>;
  topics: Array<{
    errorCode: number;
    name: string;
    partitions: Array<{ errorCode: number; index: number; leader: number }>;
  }>;
}

export function encodeMetadataV4(topics: readonly string[], allowAutoTopicCreation: boolean): Buffer[] {
  return new Writer()
    .array(topics, (w, t) => w.string(t))
    .bool(allowAutoTopicCreation)
    .finish();
}

export function decodeMetadataV4(r: Reader): Metadata {
  r.int32();
  const brokers = r.array((r) => {
    const b = { nodeId: r.int32(), host: r.string(), port: r.int32() };
    r.nullableString();
    return b;
  });
  r.nullableString();
  r.int32();
  const topics = r.array((r) => {
    const errorCode = r.int16();
    const name = r.string();
    r.bool();
    const partitions = r.array((r) => {
      const p = { errorCode: r.int16(), index: r.int32(), leader: r.int32() };
      r.array((r) => r.int32());
      r.array((r) => r.int32());
      return p;
    });
    return { errorCode, name, partitions };
  });
  return { brokers, topics };
}

/**
 * Produce v3
 *   request:  transactional_id nullable string, acks int16, timeout_ms int32,
 *             topics [name string, partitions [index int32, records nullable bytes]]
 *   response: topics [name string, partitions [index int32, error_code int16, base_offset int64,
 *                                              log_append_time_ms int64]],
 *             throttle_time_ms int32
 */
export function encodeProduceV3(
  acks: number,
  timeoutMs: number,
  topics: ReadonlyArray<{ topic: string; partitions: ReadonlyArray<{ partition: number; batch: Buffer }> }>,
): Buffer[] {
  return new Writer()
    .string(null)
    .int16(acks)
    .int32(timeoutMs)
    .array(topics, (w, t) =>
      w.string(t.topic).array(t.partitions, (w, p) => w.int32(p.partition).bytesChunks([p.batch])),
    )
    .finish();
}

export type ProduceResult = Array<{
  topic: string;
  partition: number;
  errorCode: number;
  baseOffset: number;
}>;

export function decodeProduceV3(r: Reader): ProduceResult {
  const out: ProduceResult = [];
  r.array((r) => {
    const topic = r.string();
    r.array((r) => {
      out.push({ topic, partition: r.int32(), errorCode: r.int16(), baseOffset: r.int64() });
      r.int64();
    });
  });
  r.int32();
  return out;
}
