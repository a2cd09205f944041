import { describe, expect, it } from 'vitest';
import type { FieldDiff } from './diff.ts';
import { NoiseModel } from './noise.ts';

const d = (field: string): FieldDiff => ({ path: field, field, kind: 'changed', legacy: 1, new: 2 });

describe('noise model', () => {
  it('fields that differ between two legacy answers are noise for that route only', () => {
    const model = new NoiseModel({ sampleRate: 0, warmup: 0 });
    model.learn('a', [d('$.generatedAt')]);
    expect(model.split('a', [d('$.generatedAt'), d('$.price')])).toEqual({
      real: [d('$.price')],
      noise: [d('$.generatedAt')],
    });
    expect(model.split('b', [d('$.generatedAt')])).toEqual({ real: [d('$.generatedAt')], noise: [] });
  });

  it("this request's own legacy-vs-legacy differences count as noise before the route learnt them", () => {
    const model = new NoiseModel({ sampleRate: 0, warmup: 0 });
    expect(model.split('a', [d('$.id'), d('$.requestId')], [d('$.requestId')])).toEqual({
      real: [d('$.id')],
      noise: [d('$.requestId')],
    });
  });

  it('samples every request during warm-up, then at the sample rate', () => {
    const model = new NoiseModel({ sampleRate: 0, warmup: 2 });
    expect(model.shouldSample('a')).toBe(true);
    model.learn('a', []);
    model.learn('a', []);
    expect(model.shouldSample('a')).toBe(false);
    expect(new NoiseModel({ sampleRate: 1, warmup: 0 }).shouldSample('a')).toBe(true);
  });

  it('snapshot and restore keep what was learnt', () => {
    const model = new NoiseModel({ sampleRate: 0, warmup: 5 });
    model.learn('a', [d('$.ts'), d('$.ts')]);
    const copy = new NoiseModel({ sampleRate: 0, warmup: 5 });
    copy.restore(JSON.parse(JSON.stringify(model.snapshot())));
    expect(copy.snapshot()).toEqual({ a: { samples: 1, fields: { '$.ts': 2 } } });
    expect(copy.split('a', [d('$.ts')]).noise).toHaveLength(1);
  });
});
