import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComparisonJob } from './comparator.ts';
import { compileRules } from './rules.ts';
import { WorkerExecutor } from './worker-executor.ts';

// Two real upstreams in this process: legacy answers {"n":i}; new the same, except for /diff.
let inFlight = 0;
let maxInFlight = 0;
const servers: http.Server[] = [];
async function upstream(role: 'legacy' | 'new'): Promise<string> {
  const server = http.createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    // hold each answer a little, so that calls overlap when nothing bounds them
    setTimeout(() => {
      inFlight--;
      const n = Number(req.url!.split('/').pop());
      const body = JSON.stringify({ n, price: role === 'new' && req.url!.startsWith('/diff') ? 2 : 1 });
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    }, 5);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let legacy: string;
let next: string;
beforeAll(async () => {
  [legacy, next] = await Promise.all([upstream('legacy'), upstream('new')]);
});
afterAll(() => {
  for (const s of servers) s.close();
});

const rules = compileRules({}).spec;
function job(path: string, n: number): ComparisonJob {
  return {
    exchange: {
      routeId: 'r',
      mode: 'shadow',
      servedBy: 'legacy',
      other: 'new',
      otherUpstream: next,
      request: {
        method: 'GET',
        path,
        headers: ['accept', 'application/json'],
        body: undefined,
        bodyTruncated: false,
      },
      response: {
        status: 200,
        headers: ['content-type', 'application/json'],
        body: Buffer.from(JSON.stringify({ n, price: 1 })),
        truncated: false,
      },
      startedAt: Date.now(),
      durationMs: 1,
      fellBack: false,
      dryRun: false,
    },
    route: { rules, legacy, new: next },
  };
}

describe('WorkerExecutor (comparisons in a worker thread, jobs and results in batches)', () => {
  it('answers every job of a burst larger than a batch, running at most `concurrency` at once', async () => {
    const executor = new WorkerExecutor(() => ({
      noiseSampleRate: 0,
      noiseWarmup: 0,
      noiseState: {},
      concurrency: 4,
    }));
    try {
      maxInFlight = 0;
      const results = await Promise.all(
        Array.from({ length: 150 }, (_, i) =>
          executor.run(i % 50 === 7 ? job(`/diff/${i}`, i) : job(`/same/${i}`, i)),
        ),
      );
      expect(results.filter((r) => r.outcome === 'match')).toHaveLength(147);
      const mismatches = results.filter((r) => r.outcome === 'mismatch');
      expect(mismatches).toHaveLength(3);
      // a mismatch comes back whole, its bodies as Buffers, for the record
      expect(mismatches[0]!.diffs.map((d) => d.path)).toEqual(['$.price']);
      expect(Buffer.isBuffer(mismatches[0]!.candidate!.body)).toBe(true);
      expect(JSON.parse(mismatches[0]!.candidate!.body.toString())).toEqual({ n: 7, price: 2 });
      expect(maxInFlight).toBeGreaterThan(1);
      expect(maxInFlight).toBeLessThanOrEqual(4);
    } finally {
      await executor.close();
    }
  });
});
