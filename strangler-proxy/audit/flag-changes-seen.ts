import { UnleashEvents } from 'unleash-client';
import type { Logger } from '../../lib/log.ts';
import type { FlagDecider } from '../flags/decider.ts';
import { type FlagState, stateOf, type UnleashFeature } from '../flags/flag-mapping.ts';
import type { RouteTable } from '../routes/route-table.ts';
import type { AuditTrail } from './audit-trail.ts';

/**
 * Every flag change the proxy's unleash client sees, whoever made it (the admin API, `strangler
 * shift` on the flag file, someone in the Unleash UI), goes to the audit trail as `flag.seen`
 * by `flag source`: the moment the proxy started serving the new state. The first fetch is the
 * baseline, not a change.
 */
export function auditFlagChangesSeen(
  decider: FlagDecider,
  table: () => RouteTable,
  audit: AuditTrail,
  log: Logger,
): void {
  const last = new Map<string, string>();
  const current = (flag: string): FlagState =>
    stateOf(decider.unleash.getFeatureToggleDefinition(flag) as UnleashFeature | undefined);
  const record = () => {
    for (const route of table().routes) {
      if (route.aggregate) continue;
      const state = current(route.flag);
      const key = JSON.stringify(state);
      const before = last.get(route.flag);
      last.set(route.flag, key);
      if (before === undefined || before === key) continue;
      audit
        .append({
          actor: 'flag source',
          action: 'flag.seen',
          target: route.id,
          reason: null,
          before: JSON.parse(before),
          after: state,
        })
        .catch((err) =>
          log.error({ err, route: route.id }, 'could not append a seen flag change to the audit trail'),
        );
    }
  };
  if (decider.ready) record();
  decider.unleash.on(UnleashEvents.Changed, record);
  decider.unleash.on(UnleashEvents.Synchronized, record);
}
