import { describe, expect, it } from 'vitest';
import { settledWithin } from './timeout.ts';

const after = <T>(ms: number, value: T) => new Promise<T>((r) => setTimeout(() => r(value), ms));

describe('settledWithin', () => {
  it('is true when the work finishes in time, without waiting out the limit', async () => {
    const started = performance.now();
    expect(await settledWithin(after(10, 'x'), 5000)).toBe(true);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('is false when the limit comes first', async () => {
    const started = performance.now();
    expect(await settledWithin(new Promise(() => {}), 50)).toBe(false);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
  });

  it('passes a rejection through', async () => {
    await expect(settledWithin(Promise.reject(new Error('drain failed')), 1000)).rejects.toThrow(
      'drain failed',
    );
  });

  it('treats no work as done', async () => {
    expect(await settledWithin(undefined, 1000)).toBe(true);
  });
});
