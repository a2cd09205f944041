import { describe, expect, it } from 'vitest';
import { formatCents, formatMoney, parseCents } from './money.ts';

describe('money in cents', () => {
  it.each([
    ['12.30', 1230],
    ['12.3', 1230],
    ['12', 1200],
    ['0.01', 1],
    ['99999999.99', 9_999_999_999],
  ])('parses %s as %i cents', (text, cents) => {
    expect(parseCents(text)).toBe(cents);
  });

  it.each(['', '-1', '1.234', '1e3', ' 1', '1.', '.5', 'NaN', '0x10'])('rejects %j', (text) => {
    expect(parseCents(text)).toBeUndefined();
  });

  it('adds without float drift: 0.10 + 0.20 = 0.30', () => {
    expect(formatCents(parseCents('0.10')! + parseCents('0.20')!)).toBe('0.30');
    expect(formatCents(3 * parseCents('19.99')!)).toBe('59.97');
  });

  it('formats cents with two decimals and refuses non-integers', () => {
    expect(formatCents(5)).toBe('0.05');
    expect(formatCents(120)).toBe('1.20');
    expect(() => formatCents(1.5)).toThrow(RangeError);
    expect(() => formatCents(-1)).toThrow(RangeError);
  });

  it.each([
    ['12.30', '12.30'],
    ['12.3', '12.30'],
    ['12', '12.00'],
    [12.5, '12.50'],
  ])('answers the DECIMAL value %j as %j', (value, text) => {
    expect(formatMoney(value)).toBe(text);
  });
});
