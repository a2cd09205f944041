import { describe, expect, it } from 'vitest';
import { createJobDecoder, encodeJob } from './job-codec.ts';
import { compileRules } from './rules.ts';

describe('comparison job codec (proxy thread → worker thread)', () => {
  it('round-trips an exchange, bodies and flags included, and gives the same rules object back', () => {
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
      },
      route: { rules, legacy: 'http://127.0.0.1:3000', new: 'http://127.0.0.1:3101' },
    };
    const decode = createJobDecoder();
    const { job: encoded, transfer } = encodeJob(job);
    expect(transfer).toHaveLength(2);
    const back = decode(structuredClone(encoded, { transfer }));
    expect(back).toEqual(job);
    expect(Buffer.isBuffer(back.exchange.response.body)).toBe(true);
    expect(back.exchange.response.body.toString()).toBe('{"a":1}');
    // the same rules → the same spec object (the comparator caches compiled rules by object)
    expect(decode(encodeJob(job).job).route.rules).toBe(back.route.rules);
    // no request body, no flags
    const plain = {
      ...job,
      exchange: {
        ...job.exchange,
        fellBack: false,
        request: { ...job.exchange.request, body: undefined, bodyTruncated: false },
      },
    };
    expect(decode(encodeJob(plain).job)).toEqual(plain);
  });
});
