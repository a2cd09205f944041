import type { IHeaders, Producer } from 'kafkajs';
import type { RawRecord } from './envelope.ts';

/**
 * Poison records go to a dead-letter topic, unchanged (key and value as received) with the
 * error in headers. Header names follow Kafka Connect's DLQ (`__connect.errors.*`) so the
 * same tooling reads both; `strangler.errors.code` adds our stable error code.
 */
export interface DeadLetter {
  record: RawRecord & { headers?: IHeaders };
  error: unknown;
  projection: string;
}

export const defaultDlqTopic = (topic: string) => `${topic}.dlq`;

function errorHeaders(letter: DeadLetter): IHeaders {
  const err = letter.error as
    | { code?: unknown; message?: unknown; name?: unknown; context?: Record<string, unknown> }
    | undefined;
  // A validation failure names the field and what was expected and found (validation.ts).
  const detail: IHeaders = {};
  for (const name of ['field', 'expected', 'actual'] as const) {
    const value = err?.context?.[name];
    if (value !== undefined) detail[`strangler.errors.${name}`] = String(value).slice(0, 500);
  }
  return {
    ...detail,
    '__connect.errors.topic': letter.record.topic,
    '__connect.errors.partition': String(letter.record.partition),
    '__connect.errors.offset': letter.record.offset,
    '__connect.errors.exception.class.name': String(err?.name ?? 'Error'),
    '__connect.errors.exception.message': String(err?.message ?? err).slice(0, 2000),
    'strangler.errors.code': String(err?.code ?? 'UNKNOWN'),
    'strangler.errors.projection': letter.projection,
    'strangler.errors.failed_at': new Date().toISOString(),
  };
}

export async function sendDeadLetters(
  producer: Producer,
  letters: DeadLetter[],
  topicFor: (topic: string) => string,
): Promise<void> {
  if (letters.length === 0) return;
  const byTopic = new Map<string, DeadLetter[]>();
  for (const letter of letters) {
    const topic = topicFor(letter.record.topic);
    byTopic.set(topic, [...(byTopic.get(topic) ?? []), letter]);
  }
  await producer.sendBatch({
    acks: -1,
    topicMessages: [...byTopic].map(([topic, list]) => ({
      topic,
      messages: list.map((letter) => ({
        key: letter.record.key,
        value: letter.record.value,
        headers: { ...(letter.record.headers ?? {}), ...errorHeaders(letter) },
      })),
    })),
  });
}
