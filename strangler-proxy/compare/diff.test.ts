import { describe, expect, it } from 'vitest';
import { type Answer, diffAnswers } from './diff.ts';
import { compilePath, fieldOf, matchesPath } from './json-path.ts';
import { compileRules } from './rules.ts';

const json = (body: unknown, status = 200, headers: Record<string, string> = {}): Answer => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  body: Buffer.from(JSON.stringify(body)),
});

describe('JSONPath-like patterns', () => {
  it.each([
    ['$.items[*].updatedAt', ['items', 3, 'updatedAt'], true],
    ['$.items[*].updatedAt', ['items', 3, 'createdAt'], false],
    ['$..createdAt', ['items', 0, 'payment', 'createdAt'], true],
    ['$..createdAt', ['createdAt'], true],
    ['$.payment.*', ['payment', 'id'], true],
    ['$.payment.*', ['payment', 'id', 'x'], false],
    ['$.items[0].id', ['items', 0, 'id'], true],
    ['$.items[0].id', ['items', 1, 'id'], false],
    ["$['odd key']", ['odd key'], true],
  ])('%s against %j → %s', (pattern, path, expected) => {
    expect(matchesPath(compilePath(pattern), path)).toBe(expected);
  });

  it('rejects a pattern it cannot read, naming it', () => {
    expect(() => compilePath('items.id')).toThrow(/must start with "\$"/);
    expect(() => compilePath('$.items[x]')).toThrow(/not understood at "\[x\]"/);
  });

  it('names the field of a concrete path with indexes folded', () => {
    expect(fieldOf(['items', 7, 'price'])).toBe('$.items[*].price');
  });
});

describe('diffAnswers', () => {
  const strict = compileRules();

  it('finds nothing between identical answers', () => {
    expect(diffAnswers(strict, json({ a: 1, b: [1, 2] }), json({ b: [1, 2], a: 1 }))).toEqual([]);
  });

  it('reports each differing field with both values', () => {
    const diffs = diffAnswers(
      strict,
      json({ id: 1, price: '9.99', tags: ['a'] }),
      json({ id: 1, price: '10.99', extra: true }),
    );
    expect(diffs).toEqual([
      { path: '$.price', field: '$.price', kind: 'changed', legacy: '9.99', new: '10.99' },
      { path: '$.tags', field: '$.tags', kind: 'missing', legacy: ['a'], new: undefined },
      { path: '$.extra', field: '$.extra', kind: 'extra', legacy: undefined, new: true },
    ]);
  });

  it('compares status, selected headers and types', () => {
    const diffs = diffAnswers(
      strict,
      json({ n: 1 }, 200),
      json({ n: '1' }, 404, { 'content-type': 'text/plain' }),
    );
    expect(diffs.map((d) => d.kind)).toEqual(['status', 'header', 'body']);
    const typed = diffAnswers(strict, json({ n: 1 }), json({ n: '1' }));
    expect(typed).toEqual([{ path: '$.n', field: '$.n', kind: 'type', legacy: 1, new: '1' }]);
  });

  it('ignores configured paths, at any depth with ..', () => {
    const rules = compileRules({ ignore: ['$..updatedAt', '$.items[*].requestId'] });
    const a = json({ updatedAt: 'x', items: [{ id: 1, requestId: 'r1', updatedAt: 1 }] });
    const b = json({ updatedAt: 'y', items: [{ id: 1, requestId: 'r2', updatedAt: 2 }] });
    expect(diffAnswers(rules, a, b)).toEqual([]);
    expect(diffAnswers(strict, a, b)).toHaveLength(3);
  });

  it('compares arrays as sets or sorted by a key when configured', () => {
    const a = json({ items: [{ id: 1 }, { id: 2 }, { id: 2 }] });
    const b = json({ items: [{ id: 2 }, { id: 1 }, { id: 2 }] });
    expect(diffAnswers(strict, a, b).length).toBeGreaterThan(0);
    expect(diffAnswers(compileRules({ arrays: [{ path: '$.items', mode: 'set' }] }), a, b)).toEqual([]);
    expect(
      diffAnswers(compileRules({ arrays: [{ path: '$.items', mode: 'sortBy', key: 'id' }] }), a, b),
    ).toEqual([]);
    const lost = diffAnswers(
      compileRules({ arrays: [{ path: '$.items', mode: 'set' }] }),
      a,
      json({ items: [{ id: 2 }, { id: 1 }, { id: 3 }] }),
    );
    expect(lost).toEqual([
      { path: '$.items[2]', field: '$.items[*]', kind: 'missing', legacy: { id: 2 }, new: undefined },
      { path: '$.items[2]', field: '$.items[*]', kind: 'extra', legacy: undefined, new: { id: 3 } },
    ]);
  });

  it('treats decimal strings and numbers alike only when configured', () => {
    const a = json({ total: '12.30', qty: 3 });
    const b = json({ total: 12.3, qty: '3.0' });
    expect(diffAnswers(strict, a, b)).toHaveLength(2);
    expect(diffAnswers(compileRules({ decimalStringsAsNumbers: true }), a, b)).toEqual([]);
    expect(
      diffAnswers(
        compileRules({ decimalStringsAsNumbers: true }),
        json({ t: '12.30' }),
        json({ t: '12.31' }),
      ),
    ).toHaveLength(1);
  });

  it('applies numeric tolerance', () => {
    const rules = compileRules({ numericTolerance: { absolute: 0.01 } });
    expect(diffAnswers(rules, json({ x: 1.0 }), json({ x: 1.005 }))).toEqual([]);
    expect(diffAnswers(rules, json({ x: 1.0 }), json({ x: 1.02 }))).toHaveLength(1);
  });

  it('normalises date formats when configured', () => {
    const a = json({ at: '2026-01-02T03:04:05.000Z' });
    const b = json({ at: '2026-01-02T04:04:05+01:00' });
    expect(diffAnswers(strict, a, b)).toHaveLength(1);
    expect(diffAnswers(compileRules({ normaliseDates: true }), a, b)).toEqual([]);
    expect(
      diffAnswers(compileRules({ normaliseDates: true }), a, json({ at: '2026-01-02T03:04:06Z' })),
    ).toHaveLength(1);
  });

  it('compares non-JSON bodies by hash', () => {
    const text = (s: string): Answer => ({
      status: 200,
      headers: { 'content-type': 'text/html' },
      body: Buffer.from(s),
    });
    expect(diffAnswers(strict, text('<p>a</p>'), text('<p>a</p>'))).toEqual([]);
    const [diff] = diffAnswers(strict, text('<p>a</p>'), text('<p>b</p>'));
    expect(diff).toMatchObject({ kind: 'body', legacy: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
  });

  it('refuses rules it cannot apply, naming the field', () => {
    expect(() => compileRules({ arrays: [{ path: '$.items', mode: 'sortBy' }] })).toThrow(/needs a "key"/);
    expect(() => compileRules({ ignore: ['updatedAt'] })).toThrow(/JSONPath-like pattern/);
  });
});

describe('generated fields (write rules)', () => {
  const rules = compileRules({ generated: ['$.id', '$.createdAt'] });
  const created = (id: unknown, createdAt: unknown, name = 'x') => json({ id, createdAt, name }, 201);

  it('excuse the id and time each side made up, when both are of the same kind', () => {
    expect(
      diffAnswers(
        rules,
        created(5012, '2026-12-06T10:00:00.000Z'),
        created(2_000_000_007, '2026-12-06T10:00:01.234Z'),
      ),
    ).toEqual([]);
  });

  it('still report a different kind, and every other field', () => {
    const diffs = diffAnswers(rules, created(5012, '2026-12-06T10:00:00.000Z'), created('5012', 'soon', 'y'));
    expect(diffs.map((d) => d.path)).toEqual(['$.id', '$.createdAt', '$.name']);
  });

  it('are off by default: ids compare by value', () => {
    expect(diffAnswers(compileRules(), created(1, 'a'), created(2, 'a')).map((d) => d.path)).toEqual([
      '$.id',
    ]);
  });
});
