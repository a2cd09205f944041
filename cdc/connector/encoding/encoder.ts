import { ENVELOPE_SCHEMA_SUFFIX, EnvelopeField, jsonKey, type Operation } from '../../debezium/envelope.ts';
import { type FieldCodec, fieldCodec } from './columns.ts';
import { EncodingError } from './errors.ts';
import { joinedText } from './json-text.ts';
import {
  microsText,
  nanosText,
  sourcePartsWriter,
  sourceSchemaBody,
  transactionPayload,
  transactionSchemaField,
} from './source.ts';
import type {
  ColumnDef,
  Encoded,
  EncoderOptions,
  FramedText,
  RawRow,
  RowOrigin,
  SourceInfo,
  TableDef,
  TransactionInfo,
} from './types.ts';

/** The operations of a row change event (a truncate is not one: the connector skips TRUNCATE). */
export type ChangeOp = Exclude<Operation, 't'>;

// The envelope's constant texts between values, built once from the field names.
const BEFORE = `{${jsonKey(EnvelopeField.BEFORE)}`;
const AFTER = `,${jsonKey(EnvelopeField.AFTER)}`;
const SOURCE = `,${jsonKey(EnvelopeField.SOURCE)}`;
const TRANSACTION = `,${jsonKey(EnvelopeField.TRANSACTION)}`;
const OP = `,${jsonKey(EnvelopeField.OPERATION)}"`;
const TS_MS = `",${jsonKey(EnvelopeField.TIMESTAMP)}`;
const TS_US = `,${jsonKey(EnvelopeField.TIMESTAMP_US)}`;
const TS_NS = `,${jsonKey(EnvelopeField.TIMESTAMP_NS)}`;

export interface TableEncoder {
  /** `<prefix>.<db>.<table>` */
  topic: string;
  /** Key columns in key order (empty: the Kafka key is null). */
  keyColumns: string[];
  /** The Kafka key of a row image: the key struct, or null for a table without a key. */
  key(row: RawRow, origin: RowOrigin): string | null;
  /** The change event value (envelope) as JsonConverter text, framed (see `encodedText`). */
  change(
    op: ChangeOp,
    before: RawRow | null,
    after: RawRow | null,
    origin: RowOrigin,
    source: SourceInfo,
    transaction: TransactionInfo | null,
    nowMs: number,
  ): FramedText;
  /** The row image alone (the envelope's `after` payload): `{"id":1,...}`. */
  rowPayload(row: RawRow, origin: RowOrigin): string;
  /** Precomputed schema texts, for tests and tooling. */
  schemas: { key: string | null; value: string; envelope: string };
}

/** An encoded key or value as one string (tests and tools; the producer writes the parts). */
export function encodedText(e: FramedText | string): string;
export function encodedText(e: Encoded): string | null;
export function encodedText(e: Encoded): string | null {
  return e === null || typeof e === 'string' ? e : e.head.toString() + e.body + e.tail.toString();
}

/** Appends a struct payload to `out` (see `joinedText`), from precomputed field codecs. */
function structWriter(codecs: FieldCodec[]): (row: RawRow, out: string[]) => void {
  const n = codecs.length;
  const keys = codecs.map((c, i) => (i === 0 ? '{' : ',') + c.key);
  const names = codecs.map((c) => c.name);
  const converts = codecs.map((c) => c.convert);
  const nulls = codecs.map((c) => c.nullText);
  // zongji reads an ENUM stored as index 0 (an invalid value, '' for mysql2) as undefined.
  const undefs = codecs.map((c) => c.undefinedText ?? c.nullText);
  return (row, out) => {
    if (n === 0) return void out.push('{}');
    for (let i = 0; i < n; i++) {
      const v = row[names[i] as string];
      out.push(
        keys[i] as string,
        v === null
          ? (nulls[i] as string)
          : v === undefined
            ? (names[i] as string) in row
              ? (undefs[i] as string)
              : (nulls[i] as string)
            : (converts[i] as FieldCodec['convert'])(v),
      );
    }
    out.push('}');
  };
}

/**
 * Builds the encoder of one table definition. Everything that does not depend on the row —
 * topic, schema texts, per-column converters, the constant head of the source block — is
 * computed here once; per event only the payload text is concatenated. `keepValueColumn`
 * leaves columns out of `before`/`after` and the value schema (Debezium's column.exclude.list);
 * the key always has every key column.
 */
export function createTableEncoder(
  table: TableDef,
  options: EncoderOptions,
  keepValueColumn?: (col: ColumnDef) => boolean,
): TableEncoder {
  const base = `${options.topicPrefix}.${table.db}.${table.table}`;
  const valueColumns = keepValueColumn ? table.columns.filter(keepValueColumn) : table.columns;
  const valueCodecs = valueColumns.map((c) => fieldCodec(c, options));
  const keyCodecs = table.keyColumns.map((name) => {
    const col = table.columns.find((c) => c.name === name);
    if (!col) {
      throw new EncodingError(`key column ${name} is not a column of ${table.db}.${table.table}`, {
        table: `${table.db}.${table.table}`,
        column: name,
      });
    }
    return fieldCodec(col, options);
  });

  const valueStruct = (field: string) =>
    '{"type":"struct","fields":[' +
    valueCodecs.map((c) => c.schema).join(',') +
    `],"optional":true,"name":${JSON.stringify(`${base}.Value`)},"field":"${field}"}`;
  const envelopeSchema =
    '{"type":"struct","fields":[' +
    [
      valueStruct(EnvelopeField.BEFORE),
      valueStruct(EnvelopeField.AFTER),
      `${sourceSchemaBody(options)},"field":"${EnvelopeField.SOURCE}"}`,
      transactionSchemaField,
      `{"type":"string","optional":false,"field":"${EnvelopeField.OPERATION}"}`,
      `{"type":"int64","optional":true,"field":"${EnvelopeField.TIMESTAMP}"}`,
      `{"type":"int64","optional":true,"field":"${EnvelopeField.TIMESTAMP_US}"}`,
      `{"type":"int64","optional":true,"field":"${EnvelopeField.TIMESTAMP_NS}"}`,
    ].join(',') +
    `],"optional":false,"name":${JSON.stringify(base + ENVELOPE_SCHEMA_SUFFIX)},"version":2}`;
  const keySchema =
    keyCodecs.length === 0
      ? null
      : '{"type":"struct","fields":[' +
        keyCodecs.map((c) => c.schema).join(',') +
        `],"optional":false,"name":${JSON.stringify(`${base}.Key`)}}`;
  const valueSchemaOnly =
    '{"type":"struct","fields":[' +
    valueCodecs.map((c) => c.schema).join(',') +
    `],"optional":true,"name":${JSON.stringify(`${base}.Value`)}}`;

  const writeRow = structWriter(valueCodecs);
  const writeKey = structWriter(keyCodecs);
  const writeSource = sourcePartsWriter(options);
  const valueHead = Buffer.from(
    options.valueSchemasEnable ? '{"schema":' + envelopeSchema + ',"payload":' : '',
  );
  const valueTail = Buffer.from(options.valueSchemasEnable ? '}' : '');
  const keyHead = options.keySchemasEnable && keySchema ? '{"schema":' + keySchema + ',"payload":' : '';
  const keyTail = options.keySchemasEnable && keySchema ? '}' : '';

  return {
    topic: base,
    keyColumns: table.keyColumns.slice(),
    schemas: { key: keySchema, value: valueSchemaOnly, envelope: envelopeSchema },
    key(row) {
      if (keyCodecs.length === 0) return null;
      return joinedText((out) => {
        out.push(keyHead);
        writeKey(row, out);
        out.push(keyTail);
      });
    },
    rowPayload(row) {
      return joinedText((out) => writeRow(row, out));
    },
    change(op, before, after, _origin, source, transaction, nowMs) {
      const body = joinedText((out) => {
        out.push(BEFORE);
        if (before === null) out.push('null');
        else writeRow(before, out);
        out.push(AFTER);
        if (after === null) out.push('null');
        else writeRow(after, out);
        out.push(SOURCE);
        writeSource(source, out);
        out.push(
          TRANSACTION,
          transactionPayload(transaction),
          OP,
          op,
          TS_MS,
          String(nowMs),
          TS_US,
          microsText(nowMs),
          TS_NS,
          nanosText(nowMs),
          '}',
        );
      });
      return { head: valueHead, body, tail: valueTail };
    },
  };
}
