/**
 * The writer map's door: the questions it answers, for code that runs beside it (the write
 * switch asks over HTTP, GET /writers/others; docs/writer-map.md).
 */
export { WriterMapError, type WriterMapErrorCode, writerMapErrorCodes } from './errors.ts';
export {
  defaultWindow,
  describeOtherWriters,
  type OtherWriter,
  otherWriters,
  parseWindow,
  routeWriters,
} from './questions.ts';
export type { TableWriter, Window } from './store.ts';
export type { WriterKind } from './writer-of.ts';
