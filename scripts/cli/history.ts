import type { Command } from 'commander';
import type { AuditEntry } from '../../strangler-proxy/audit/audit-trail.ts';
import { ProxyAdmin, readAdminToken } from '../rehearsal/live/proxy-admin.ts';
import { endpointsFor } from '../up/endpoints.ts';
import { wholeNumber } from './options.ts';

/** A value of an entry's before/after, short: a flag as "canary 25%", anything else as JSON. */
function shortValue(value: unknown): string {
  if (value === null || value === undefined) return '-';
  const v = value as { mode?: unknown; percent?: unknown };
  if (typeof v.mode === 'string')
    return v.mode === 'canary' || v.mode === 'shadow' ? `${v.mode} ${String(v.percent)}%` : v.mode;
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** One line an entry: when, who, what, on what, before → after, and why. */
export function formatHistory(entries: AuditEntry[]): string {
  if (entries.length === 0) return 'no changes recorded';
  return entries
    .map(
      (e) =>
        `${e.at}  ${e.actor.padEnd(14)} ${e.action.padEnd(16)} ${e.target.padEnd(10)} ${shortValue(e.before)} → ${shortValue(e.after)}${e.reason ? `  "${e.reason}"` : ''}`,
    )
    .join('\n');
}

/** `strangler history [route]`: the proxy's audit trail (GET /audit), oldest first. */
export function registerHistory(program: Command): void {
  program
    .command('history')
    .description('who changed which route, flag or token, when and why (the proxy audit trail)')
    .argument('[route]', 'only changes of this route (or operator name)')
    .option('-n, --limit <n>', 'the newest n entries', wholeNumber('--limit', '100', 1), 100)
    .option('--json', 'print the entries as JSON')
    .action(async (route: string | undefined, opts: { limit: number; json?: boolean }) => {
      const e = endpointsFor();
      const admin = new ProxyAdmin(e.admin, await readAdminToken(e.adminTokenFile, e.adminToken));
      const entries = await admin.audit(route, opts.limit);
      console.log(opts.json ? JSON.stringify(entries, null, 2) : formatHistory(entries));
    });
}
