import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../lib/log.ts';
import { Breaker } from './breakers.ts';

const log = createLogger('breaker-test');
const made: Breaker[] = [];
const breaker = (options: Partial<ConstructorParameters<typeof Breaker>[1]> = {}) => {
  const b = new Breaker(
    'http://new',
    {
      errorThresholdPercentage: 50,
      volumeThreshold: 4,
      resetTimeout: 100,
      rollingCountTimeout: 10_000,
      ...options,
    },
    log,
  );
  made.push(b);
  return b;
};
afterEach(() => {
  for (const b of made.splice(0)) b.shutdown();
});

describe('Breaker', () => {
  it('stays closed below the volume threshold, opens once over it with more than the error share failing', () => {
    const b = breaker();
    for (let i = 0; i < 3; i++) {
      expect(b.tryAcquire()).toBe(true);
      b.failure();
    }
    expect(b.state).toBe('closed');
    expect(b.tryAcquire()).toBe(true);
    b.failure();
    expect(b.state).toBe('open');
    expect(b.tryAcquire()).toBe(false);
  });

  it('does not open at exactly the error share', () => {
    const b = breaker();
    for (let i = 0; i < 4; i++) {
      b.tryAcquire();
      if (i % 2) b.failure();
      else b.success();
    }
    expect(b.state).toBe('closed');
  });

  it('after the reset timeout lets one probe through: success closes, failure opens again', async () => {
    const b = breaker();
    for (let i = 0; i < 4; i++) {
      b.tryAcquire();
      b.failure();
    }
    expect(b.state).toBe('open');
    await sleep(150);
    expect(b.state).toBe('half-open');
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false); // the others keep going to legacy meanwhile
    b.failure();
    expect(b.state).toBe('open');
    await sleep(150);
    expect(b.tryAcquire()).toBe(true);
    b.success();
    expect(b.state).toBe('closed');
    expect(b.tryAcquire()).toBe(true);
  });

  it('forgets failures older than the rolling window', async () => {
    const b = breaker({ rollingCountTimeout: 100 });
    for (let i = 0; i < 3; i++) {
      b.tryAcquire();
      b.failure();
    }
    await sleep(200);
    b.tryAcquire();
    b.failure();
    expect(b.state).toBe('closed');
  });
});
