import { describe, expect, it } from 'vitest';
import { planKills } from './kills.ts';
import { chaosDefaults, validateChaosOptions } from './options.ts';

const valid = { ...chaosDefaults, targets: [...chaosDefaults.targets] as string[] };

describe('chaos options', () => {
  it('accepts the defaults', () => {
    expect(validateChaosOptions(valid).kills).toBe(24);
  });

  it('names every problem at once, with the option and a valid value', () => {
    let error: unknown;
    try {
      validateChaosOptions({
        ...valid,
        durationMs: 10_000,
        kills: 30,
        rate: 0,
        targets: ['broker', 'proxy', 'broker'],
        mysqlUrl: 'mysql://root@db.example.com:3306',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: 'CHAOS_ERR_BAD_OPTIONS' });
    const message = (error as Error).message;
    expect(message).toContain('--rate must be 1..2000');
    expect(message).toContain('--kills 30 do not fit in 10 s');
    expect(message).toContain('(at most 3 here)');
    expect(message).toContain(
      '--targets: unknown proxy; choose from broker, monolith, connector, catalog, orders',
    );
    expect(message).toContain('--targets names a component twice');
    expect(message).toContain('must point at this machine (127.0.0.1), got db.example.com');
  });

  it('refuses kills without targets', () => {
    expect(() => validateChaosOptions({ ...valid, targets: [] })).toThrow('--targets is empty');
  });
});

describe('the kill plan', () => {
  it('is the same for the same seed, inside the middle 70 % of the load, sorted', () => {
    const a = planKills(7, 24, 200_000, ['broker', 'connector', 'catalog', 'orders']);
    expect(planKills(7, 24, 200_000, ['broker', 'connector', 'catalog', 'orders'])).toEqual(a);
    expect(planKills(8, 24, 200_000, ['broker', 'connector', 'catalog', 'orders'])).not.toEqual(a);
    expect(a).toHaveLength(24);
    for (const k of a) {
      expect(k.atMs).toBeGreaterThanOrEqual(20_000);
      expect(k.atMs).toBeLessThanOrEqual(160_000);
    }
    expect(a.map((k) => k.atMs)).toEqual([...a.map((k) => k.atMs)].sort((x, y) => x - y));
    expect(new Set(a.map((k) => k.target)).size).toBe(4);
  });
});
