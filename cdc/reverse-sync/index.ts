export * from './client.ts';
export { loadReverseSyncConfig, type ReverseSyncConfig } from './config.ts';
export { ReverseSyncError, type ReverseSyncErrorCode, reverseSyncErrorCodes } from './errors.ts';
export type { LegacyWrite, ReverseMapping } from './mapping.ts';
export { type RunningReverseSync, reverseSyncMain, startReverseSync } from './service.ts';
