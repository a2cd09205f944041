import { describe, expect, it } from 'vitest';
import { OverrideSigner } from './tester-override.ts';

const signer = new OverrideSigner('the-proxy-override-key-0123456789abcdef');
const now = Date.parse('2026-12-06T22:00:00Z');

describe("testers' overrides", () => {
  it('a value verifies for its routes until it expires', () => {
    const { value, override } = signer.issue(
      { tester: 'alice', side: 'new', ttlSeconds: 600, routes: ['products'] },
      now,
    );
    expect(value).toMatch(/^v1\.[\w-]+\.[\w-]+$/);
    expect(override).toEqual({
      tester: 'alice',
      side: 'new',
      routes: ['products'],
      expiresAt: now + 600_000,
    });
    expect(signer.check(value, 'products', now + 599_999)).toEqual({ ok: true, override });
    expect(signer.check(value, 'products', now + 600_000)).toEqual({ ok: false, reason: 'expired' });
    expect(signer.check(value, 'orders', now)).toEqual({ ok: false, reason: 'other-route' });
  });

  it('without routes it applies to every route; the default lifetime is an hour', () => {
    const { value, override } = signer.issue({ tester: 'bob', side: 'legacy' }, now);
    expect(override.expiresAt).toBe(now + 3_600_000);
    expect(signer.check(value, 'orders', now)).toMatchObject({
      ok: true,
      override: { side: 'legacy', routes: null },
    });
  });

  it('a changed payload, another key, a forged or garbled value never verifies', () => {
    const { value } = signer.issue({ tester: 'alice', side: 'legacy', routes: ['products'] }, now);
    const [v, payload, sig] = value.split('.') as [string, string, string];
    const forged = Buffer.from(JSON.stringify({ t: 'alice', s: 'new', r: null, e: now + 1e9 })).toString(
      'base64url',
    );
    expect(signer.check(`${v}.${forged}.${sig}`, 'products', now)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    const other = new OverrideSigner('another-key-another-key-another-key-0000');
    expect(other.check(value, 'products', now)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(signer.check(`${v}.${payload}.${sig.slice(0, -2)}AA`, 'products', now)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    for (const bad of ['', 'v1', 'v2.a.b', `${v}.${payload}`, 'v1..', `${value}.x`])
      expect(signer.check(bad, 'products', now)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses to issue what it cannot stand behind, naming each problem', () => {
    expect(() => signer.issue({ tester: 'a b', side: 'both', ttlSeconds: 90_000, routes: [] }, now)).toThrow(
      /tester: .*; side: "legacy" or "new"; ttlSeconds: .*1 to 86400.*; routes: a non-empty list/,
    );
    expect(() => signer.issue(undefined, now)).toThrow(
      /PROXY_ERR_OVERRIDE_INVALID|cannot issue this override/,
    );
    try {
      signer.issue({ tester: 'x', side: 'new', ttlSeconds: 0 }, now);
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ code: 'PROXY_ERR_OVERRIDE_INVALID', status: 400 });
    }
  });
});
