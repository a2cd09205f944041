import { ToolkitError } from '../../lib/errors.ts';

/**
 * The fault-injection run's errors (`npm run chaos`), documented in docs/chaos.md#errors.
 * A failed verdict is not an error: the run reports it and exits 1.
 */
export const chaosErrorCodes = {
  CHAOS_ERR_BAD_OPTIONS:
    'an option is out of range or the options contradict each other (every problem named)',
  CHAOS_ERR_START: 'a part of the toolkit could not be started before the load began',
  CHAOS_ERR_RESTART: 'a killed component could not be started again (its last output is included)',
  CHAOS_ERR_INTERRUPTED:
    'the run was interrupted (Ctrl-C, SIGTERM) before its checks; what it started is stopped and dropped',
} as const;

export type ChaosErrorCode = keyof typeof chaosErrorCodes;

export class ChaosError extends ToolkitError {
  constructor(code: ChaosErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
  }
}
