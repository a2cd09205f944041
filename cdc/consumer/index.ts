export { type DeadLetter, defaultDlqTopic } from './dead-letter.ts';
export { decodeDecimalBytes, scaleDecimal } from './decimal.ts';
export {
  type ChangeEvent,
  type DecodedRecord,
  type DecodeOptions,
  decodeRecord,
  type RawRecord,
  type Row,
} from './envelope.ts';
export { ConsumerError, consumerErrorCodes, poisonEvent } from './errors.ts';
export { checkKafkaAccess, isKafkaAccessRefusal } from './kafka-access.ts';
export {
  type ConnectSchema,
  type GeometryValue,
  hint,
  logicalNames,
  type PointValue,
} from './logical-types.ts';
export { parseLosslessJson } from './lossless-json.ts';
export { eventPosition, newestPerKey, positionColumnType, upsertNewer } from './newer-wins.ts';
export { createOffsetsTable, dropOffsetsTable, offsetsTable } from './offset-store.ts';
export {
  type PartitionProgress,
  type Projection,
  ProjectionRunner,
  type RunnerOptions,
} from './projection-runner.ts';
export { aheadOf, type BinlogHead, binlogHeadReader, headOf, SourceHead } from './source-head.ts';
export { fileNumber, positionFromSource, positionKey, type SourcePosition } from './source-position.ts';
export {
  type ColumnSpec,
  type ColumnType,
  checkEvent,
  type SourceTable,
  sourceOfTopic,
  type TopicExpectation,
  topicExpectations,
} from './validation.ts';
