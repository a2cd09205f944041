/** The rehearsal's stages, in order; a route moves one stage at a time and stops at the first failure. */
export const stages = [
  {
    id: 0,
    key: 'legacy',
    title: 'legacy only',
    goal: 'measure the legacy baseline the later gates compare against',
  },
  {
    id: 1,
    key: 'proxy',
    title: 'proxy in front',
    goal: 'the proxy passes every answer through unchanged (flag off)',
  },
  {
    id: 2,
    key: 'backfill',
    title: 'backfill',
    goal: "the service's store holds the same rows as the legacy tables",
  },
  { id: 3, key: 'shadow', title: 'shadow', goal: 'legacy serves; the new service answers the same copies' },
  { id: 4, key: 'canary', title: 'canary', goal: 'a growing share of users is served by the new service' },
  {
    id: 5,
    key: 'cutover',
    title: 'cutover',
    goal: 'the new service serves everyone, legacy still answers in the shadow',
  },
  { id: 6, key: 'done', title: 'done', goal: 'the route is migrated' },
] as const;

export type StageId = (typeof stages)[number]['id'];
export type StageKey = (typeof stages)[number]['key'];

export function stageTitle(id: StageId, step?: string): string {
  const s = stages[id];
  return `stage ${id} · ${s.title}${step ? ` ${step}` : ''}`;
}
