import { describeOtherWriters, type OtherWriter, routeWriters } from '../../../cdc/writer-map/index.ts';
import { SwitchError } from './errors.ts';
import { expectOk } from './http.ts';

/**
 * The writer map's say on a move: who but the route's own writes wrote its owned tables during
 * the window (`GET /writers/others`). Refuses (SWITCH_ERR_OTHER_WRITERS) naming them, and
 * refuses on no evidence (SWITCH_ERR_NO_EVIDENCE) when the map has not counted every change on
 * the topics yet.
 */
export async function checkNoOtherWriters(
  writersUrl: string,
  route: { id: string; writes: { methods: string[]; paths: string[] }; owns: string[] },
  since: string,
): Promise<{ excluded: string[]; since: string }> {
  const excluded = routeWriters(route.writes);
  const query = new URLSearchParams({ tables: route.owns.join(','), since });
  for (const w of excluded) query.append('exclude', w);
  const answer = (await expectOk('the writer map', `${writersUrl}/writers/others?${query}`, {
    timeoutMs: 8000,
  })) as { caughtUp?: boolean; eventsBehind?: number | null; others?: OtherWriter[]; since?: string };
  if (answer.caughtUp !== true || !Array.isArray(answer.others))
    throw new SwitchError(
      'SWITCH_ERR_NO_EVIDENCE',
      `the writer map has not counted every change on the topics yet (${answer.eventsBehind ?? 'unknown'} behind): it cannot say who else wrote ${route.owns.join(', ')}; try again once it caught up`,
    );
  if (answer.others.length > 0)
    throw new SwitchError(
      'SWITCH_ERR_OTHER_WRITERS',
      `route "${route.id}" cannot take over ${route.owns.join(', ')}: other writers since ${answer.since ?? since}: ${describeOtherWriters(answer.others)}. Move those writes with the route (add them to its writes) or stop them first`,
      { context: { others: answer.others } },
    );
  return { excluded, since: answer.since ?? since };
}
