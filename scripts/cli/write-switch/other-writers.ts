import { describeOtherWriters, type OtherWriter, routeWriters } from '../../../cdc/writer-map/index.ts';
import { SwitchError } from './errors.ts';
import { expectOk } from './http.ts';

/**
 * The writer map's say on a move: who but the route's own writes wrote its owned tables during
 * the window (`GET /writers/others`). Other writers refuse the move (SWITCH_ERR_OTHER_WRITERS,
 * naming them), whether or not the map has counted everything yet; an empty answer counts only
 * from a map that has (`caughtUp`), else it is no evidence (SWITCH_ERR_NO_EVIDENCE).
 */
export interface WriterQuestion {
  writersUrl: string;
  route: { id: string; writes: { methods: string[]; paths: string[] }; owns: string[] };
  since: string;
}

export type WriterAnswer = { verdict: 'clear' } | { verdict: 'behind'; eventsBehind: number | null };

export async function askOtherWriters(q: WriterQuestion, timeoutMs = 8000): Promise<WriterAnswer> {
  const query = new URLSearchParams({ tables: q.route.owns.join(','), since: q.since });
  for (const w of routeWriters(q.route.writes)) query.append('exclude', w);
  const answer = (await expectOk('the writer map', `${q.writersUrl}/writers/others?${query}`, {
    timeoutMs,
  })) as { caughtUp?: boolean; eventsBehind?: number | null; others?: OtherWriter[]; since?: string };
  if (!Array.isArray(answer.others))
    throw new SwitchError(
      'SWITCH_ERR_BAD_ANSWER',
      'the writer map answered GET /writers/others without "others"',
    );
  if (answer.others.length > 0)
    throw new SwitchError(
      'SWITCH_ERR_OTHER_WRITERS',
      `route "${q.route.id}" cannot take over ${q.route.owns.join(', ')}: other writers since ${answer.since ?? q.since}: ${describeOtherWriters(answer.others)}. Move those writes with the route (add them to its writes) or stop them first`,
      { context: { others: answer.others } },
    );
  return answer.caughtUp === true
    ? { verdict: 'clear' }
    : { verdict: 'behind', eventsBehind: answer.eventsBehind ?? null };
}

/** SWITCH_ERR_NO_EVIDENCE: the map never caught up while it was asked. */
export function noEvidence(q: WriterQuestion, eventsBehind: number | null): SwitchError {
  return new SwitchError(
    'SWITCH_ERR_NO_EVIDENCE',
    `the writer map has not counted every change on the topics yet (${eventsBehind ?? 'unknown'} behind): it cannot say who else wrote ${q.route.owns.join(', ')}; try again once it caught up`,
  );
}
