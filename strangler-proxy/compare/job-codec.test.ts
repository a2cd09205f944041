import { describe, expect, it } from 'vitest';
import { createBatchDecoder, JobBatchWriter } from './job-codec.ts';
import { compileRules } from './rules.ts';

describe('comparison job codec (proxy thread → worker thread)', () => {
  it('round-trips a batch of exchanges, bodies and flags included, and gives the same rules object back', () => {
    const rules = compileRules({ ignore: ['$.ts'], arrays: [{ path: '$.tags', mode: 'set' }] }).spec;
    const pool = Buffer.from('xx{"a":1}yy'); // a body that is a view into a larger buffer
    const job = {
      exchange: {
        routeId: 'products',
        mode: 'canary' as const,
        servedBy: 'new' as const,
        other: 'legacy' as const,
        otherUpstream: 'http://127.0.0.1:3000',
        request: {
          method: 'POST',
          path: '/products/1?q=a%20b',
          headers: ['content-type', 'application/json', 'x-empty', ''],
          body: Buffer.from('{"q":1}'),
          bodyTruncated: true,
        },
        response: {
          status: 201,
          headers: ['content-type', 'application/json', 'date', 'Tue, 01 Dec 2026 13:00:00 GMT'],
          body: pool.subarray(2, 9),
          truncated: false,
        },
        startedAt: 1_700_000_000_123,
        durationMs: 1.5,
        fellBack: true,
        dryRun: true,
      },
      route: { rules, legacy: 'http://127.0.0.1:3000', new: 'http://127.0.0.1:3101' },
    };
    const decode = createBatchDecoder();
    const writer = new JobBatchWriter();
    // no request body, no flags, other rules
    const plain = {
      route: { ...job.route, rules: compileRules({ ignore: ['$.other'] }).spec },
      exchange: {
        ...job.exchange,
        fellBack: false,
        dryRun: false,
        request: { ...job.exchange.request, headers: [], body: undefined, bodyTruncated: false },
        response: { ...job.exchange.response, body: Buffer.alloc(0) },
      },
    };
    writer.add(7, job);
    writer.add(8, plain);
    writer.add(9, job);
    expect(writer.size).toBe(3);
    const { batch, transfer } = writer.take();
    expect(writer.size).toBe(0);
    // every body of the batch in one transferred buffer
    expect(transfer).toEqual([batch.bodies.buffer]);
    expect(batch.rules).toHaveLength(2);
    const back = decode(structuredClone(batch, { transfer }));
    expect(back.map((b) => b.id)).toEqual([7, 8, 9]);
    expect(back.map((b) => b.job)).toEqual([job, plain, job]);
    const body = back[0]!.job.exchange.response.body;
    expect(Buffer.isBuffer(body)).toBe(true);
    expect(body.toString()).toBe('{"a":1}');
    expect(back[2]!.job.exchange.request.body!.toString()).toBe('{"q":1}');
    // the same rules → the same spec object (the comparator caches compiled rules by object),
    // across batches too
    expect(back[2]!.job.route.rules).toBe(back[0]!.job.route.rules);
    writer.add(10, job);
    expect(decode(writer.take().batch)[0]!.job.route.rules).toBe(back[0]!.job.route.rules);
    // an empty batch decodes to nothing
    expect(decode(writer.take().batch)).toEqual([]);
  });
});
