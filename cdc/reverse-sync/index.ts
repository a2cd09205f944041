export * from './client.ts';
export { ReverseSyncError, type ReverseSyncErrorCode, reverseSyncErrorCodes } from './errors.ts';
