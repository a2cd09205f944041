import { describe, expect, it } from 'vitest';
import { exitCause, outputTail, restartDelayMs } from './restart-policy.ts';

describe('restart policy', () => {
  it('doubles from 1 s and caps at 30 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map((a) => restartDelayMs(a))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000,
    ]);
  });

  it('names the exit and the last line of output, a pino line by its message', () => {
    const out = 'starting\n{"level":60,"msg":"catalog failed to start","err":{"message":"ECONNREFUSED"}}\n\n';
    expect(exitCause(1, null, out)).toBe('exited with code 1: catalog failed to start: ECONNREFUSED');
    expect(exitCause(null, 'SIGKILL', 'catalog service ready\n')).toBe('killed by SIGKILL');
    expect(exitCause(2, null, 'column loc has type point\n')).toBe(
      'exited with code 2: column loc has type point',
    );
    expect(outputTail('a\n\nb\nc\n', 2)).toEqual(['b', 'c']);
  });
});
