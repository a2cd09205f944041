import { describe, expect, it } from 'vitest';
import { jsonText, sqlTime } from './store.ts';

describe('sqlTime', () => {
  it.each([
    ['2026-01-02T03:04:05.678Z', '2026-01-02 03:04:05.678'],
    ['2026-01-02T03:04:05Z', '2026-01-02 03:04:05.000'],
    [1_767_323_045_678, '2026-01-02 03:04:05.678'],
    ['2026-01-02 03:04:05.678', '2026-01-02 03:04:05.678'],
    [null, null],
  ])('%s → %s', (input, output) => {
    expect(sqlTime(input)).toBe(output);
  });
  it('refuses what is not a time', () => {
    expect(() => sqlTime('yesterday')).toThrow(/not a timestamp/);
  });
});

describe('jsonText', () => {
  it('keeps text as sent and writes big integers exactly', () => {
    expect(jsonText('{"a": 1}')).toBe('{"a": 1}');
    expect(jsonText({ n: 12345678901234567890n, s: 'x' })).toBe('{"n":12345678901234567890,"s":"x"}');
    expect(jsonText(null)).toBeNull();
  });
});
