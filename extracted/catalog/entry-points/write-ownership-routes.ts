import express, { Router } from 'express';
import type { Knex } from 'knex';
import { z } from 'zod';
import { parseBody } from '../../../contract/index.ts';
import {
  ownableTables,
  ownedTableCounts,
  readOwnership,
  setOwnership,
} from '../data-access/write-ownership.ts';

const ownershipBody = z.strictObject({
  owned: z
    .array(z.enum(ownableTables))
    .max(ownableTables.length)
    .refine((tables) => new Set(tables).size === tables.length, 'a table is listed twice'),
});

/**
 * Moving writes, the catalog's side (docs/reverse-sync.md): which legacy tables it owns
 * (`strangler move-writes` puts them), and the counts of what its forward projection passed
 * over on them, as Prometheus text. Bound to the service's host (127.0.0.1 by default) like
 * its reads; the services have no admin token.
 */
export function writeOwnershipRoutes(knex: Knex): Router {
  const router = Router();
  router.get('/writes/ownership', async (_req, res) => {
    res.json(await readOwnership(knex));
  });
  router.put('/writes/ownership', express.json({ limit: '16kb' }), async (req, res) => {
    const { owned } = parseBody(ownershipBody, req.body);
    await setOwnership(knex, owned);
    res.json(await readOwnership(knex));
  });
  router.get('/metrics', async (_req, res) => {
    // Read from the store at scrape time (the counts are durable, a restart resets nothing), so
    // they are gauges in Prometheus' text format rather than a prom-client registry's counters.
    const [owned, counts] = await Promise.all([readOwnership(knex), ownedTableCounts(knex)]);
    const gauge = (name: string, help: string, values: { table: string; value: number }[]) => {
      const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`];
      for (const v of values) lines.push(`${name}{table="${v.table}"} ${v.value}`);
      return lines.join('\n');
    };
    const body = [
      gauge(
        'catalog_write_owned',
        '1 while the catalog owns the legacy table (forward apply off)',
        ownableTables.map((t) => ({ table: t, value: owned.owned.includes(t) ? 1 : 0 })),
      ),
      gauge(
        'catalog_forward_echoes_dropped',
        "changes carrying the reverse applier's origin tag, dropped by the forward projection",
        counts.map((c) => ({ table: c.table, value: c.echoes })),
      ),
      gauge(
        'catalog_second_writer_changes',
        'changes to an owned table by another writer than the reverse applier (the alarm)',
        counts.map((c) => ({ table: c.table, value: c.secondWriterChanges })),
      ),
    ].join('\n');
    res.type('text/plain; version=0.0.4; charset=utf-8').send(`${body}\n`);
  });
  return router;
}
