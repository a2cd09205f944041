import { ToolkitError } from '../../../lib/errors.ts';

/**
 * The write switch's error codes (`strangler move-writes`; docs/moving-writes.md lists them). A
 * refusal changes nothing; an abort let the held writes go to the side they were on. A retired
 * code is never reused.
 */
export const switchErrorCodes = {
  SWITCH_ERR_NO_WRITES: 'the route lists no writes and owned tables in the route table',
  SWITCH_ERR_READS_NOT_ON_NEW:
    "the route's reads are not at 100 % new: move them first (strangler shift <route> new)",
  SWITCH_ERR_OTHER_WRITERS:
    "something outside the route wrote the route's owned tables during the observation window (the message names them)",
  SWITCH_ERR_NO_EVIDENCE:
    'the writer map has not counted every change on the topics yet, or does not answer: an empty answer would prove nothing',
  SWITCH_ERR_ALREADY:
    "the route's writes are on that side already, with its ownership and reverse sync in place",
  SWITCH_ERR_UNREACHABLE:
    'a part the switch needs (proxy admin, legacy database, connector, service, reverse sync) does not answer',
  SWITCH_ERR_BAD_ANSWER:
    'a part the switch asks answered something it cannot read (the message names the part and the field)',
  SWITCH_ERR_ABORTED:
    'the switch aborted within its bound (no catch-up, writes in flight did not finish, too many held, a step failed): the held writes went to the side they were on',
  SWITCH_ERR_INCOMPLETE:
    'the writes moved but a step after the flip failed and could not be undone: run the same command again to finish it',
} as const;

export type SwitchErrorCode = keyof typeof switchErrorCodes;

export class SwitchError extends ToolkitError {
  declare readonly code: SwitchErrorCode;
  constructor(
    code: SwitchErrorCode,
    message: string,
    options: { cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}
