import { SeededRandom } from '../../legacy-monolith/seed/random.ts';
import { RatePacer } from './pacer.ts';
import { defaultMix, runSession, type SessionKind } from './sessions.ts';
import { BudgetSpent, RequestBudget, type RequestRecord, ShopClient } from './shop-client.ts';
import { discoverShop, LoadError, type ShopFacts } from './shop-facts.ts';

export interface LoadOptions {
  /** Base URL: the monolith directly, or the proxy in front of it. */
  target: string;
  durationMs: number;
  /** Requests per second across all virtual users; 0 = unthrottled. */
  rate: number;
  /** Virtual users running sessions at the same time. */
  concurrency: number;
  maxRequests?: number;
  seed?: number;
  mix?: Partial<Record<SessionKind, number>>;
  timeoutMs?: number;
  targetHeader?: string;
  facts?: ShopFacts;
  signal?: AbortSignal;
  onRecord?: (record: RequestRecord) => void;
}

export interface LoadResult {
  records: RequestRecord[];
  elapsedMs: number;
  sessions: number;
  facts: ShopFacts;
}

export function validateLoadOptions(o: LoadOptions): void {
  const problems: string[] = [];
  if (!(o.durationMs > 0)) problems.push(`duration must be > 0 (got ${o.durationMs} ms)`);
  if (!(o.rate >= 0)) problems.push(`rate must be ≥ 0 requests/s (got ${o.rate})`);
  if (!Number.isInteger(o.concurrency) || o.concurrency < 1 || o.concurrency > 1000) {
    problems.push(`concurrency must be a whole number in 1..1000 (got ${o.concurrency})`);
  }
  if (o.maxRequests !== undefined && !(o.maxRequests >= 1))
    problems.push(`requests must be ≥ 1 (got ${o.maxRequests})`);
  try {
    new URL(o.target);
  } catch {
    problems.push(`target must be a URL such as http://127.0.0.1:8080 (got ${JSON.stringify(o.target)})`);
  }
  const mix = { ...defaultMix, ...o.mix };
  if (Object.values(mix).some((w) => !(w >= 0)) || Object.values(mix).every((w) => w === 0)) {
    problems.push('mix weights must be ≥ 0 and not all 0, e.g. browse=45,search=20,buy=20,history=15');
  }
  if (problems.length > 0)
    throw new LoadError('LOAD_ERR_BAD_OPTIONS', `invalid load options:\n  - ${problems.join('\n  - ')}`);
}

/**
 * Runs `concurrency` virtual users, each starting session after session (kind drawn from the
 * mix) until the time or request budget is spent. Deterministic per seed in what each user
 * asks for; timing decides only how far they get.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  validateLoadOptions(options);
  const facts = options.facts ?? (await discoverShop(options.target));
  const records: RequestRecord[] = [];
  const budget = new RequestBudget(options.durationMs, options.maxRequests, options.signal);
  const client = new ShopClient({
    baseUrl: options.target,
    connections: options.concurrency,
    timeoutMs: options.timeoutMs ?? 10_000,
    pacer: new RatePacer(options.rate),
    budget,
    targetHeader: options.targetHeader ?? 'x-strangler-target',
    onRecord: (r) => {
      records.push(r);
      options.onRecord?.(r);
    },
  });
  const seed = options.seed ?? 1;
  const mix = Object.entries({ ...defaultMix, ...options.mix }) as [SessionKind, number][];
  const runTag = `${seed.toString(36)}${Date.now().toString(36)}`;
  let sessions = 0;
  const started = performance.now();
  const user = async (n: number) => {
    const rng = SeededRandom.stream(seed, n);
    for (let i = 0; ; i++) {
      sessions++;
      try {
        await runSession(rng.weighted(mix), { client, rng, facts, sessionId: `${runTag}-${n}-${i}` });
      } catch (err) {
        if (err instanceof BudgetSpent) return;
        throw err;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, (_, n) => user(n)));
  } finally {
    await client.close();
  }
  return { records, elapsedMs: performance.now() - started, sessions, facts };
}
