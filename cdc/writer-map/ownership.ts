import type { TableWriter } from './store.ts';

/**
 * Which services own which watched tables, asked from each service's GET /writes/ownership
 * (WRITERS_OWNERSHIP_URLS). Once a service owns a table, its writes reach legacy only through its
 * reverse applier (`origin` writers); any other writer of the table since it was taken over is
 * a second writer, marked on the map, because two writers on one table lose updates.
 */
export interface TableOwner {
  /** The service's base URL. */
  service: string;
  since: string;
}

export interface Ownership {
  owners: Map<string, TableOwner>;
  /** Services that did not answer: their tables' writers cannot be judged. */
  problems: string[];
}

export async function readOwnership(urls: readonly string[], timeoutMs = 2000): Promise<Ownership> {
  const owners = new Map<string, TableOwner>();
  const problems: string[] = [];
  await Promise.all(
    urls.map(async (service) => {
      try {
        const res = await fetch(`${service}/writes/ownership`, { signal: AbortSignal.timeout(timeoutMs) });
        if (!res.ok) throw new Error(`answered ${res.status}`);
        const body = (await res.json()) as { owned?: unknown; since?: unknown };
        if (!Array.isArray(body.owned)) throw new Error('answered without an `owned` list');
        for (const table of body.owned)
          if (typeof table === 'string' && typeof body.since === 'string')
            owners.set(table, { service, since: body.since });
      } catch (err) {
        problems.push(`${service}/writes/ownership: ${(err as Error).message}`);
      }
    }),
  );
  return { owners, problems };
}

/** Marks each writer of an owned table: a second writer when it is not the owner's reverse applier and wrote since the take-over. */
export function markSecondWriters<W extends TableWriter>(
  table: string,
  writers: W[],
  owners: Map<string, TableOwner>,
): W[] {
  const owner = owners.get(table);
  if (!owner) return writers;
  return writers.map((w) => ({ ...w, secondWriter: w.kind !== 'origin' && w.lastAt >= owner.since }));
}
