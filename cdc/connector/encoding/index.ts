/** The Debezium (3.4, JsonConverter) encoding of the CDC connector. */
export * from './columns.ts';
export * from './connection.ts';
export * from './encoder.ts';
export * from './errors.ts';
export * from './json-text.ts';
export * from './messages.ts';
export * from './numbers.ts';
export * from './source.ts';
export * from './table-defs.ts';
export * from './temporal.ts';
export type * from './types.ts';
