import { describe, expect, it } from 'vitest';
import { normaliseTarget } from './path-normalise.ts';

describe('normaliseTarget', () => {
  it.each([
    ['/products', '/products', ''],
    ['/products/1?x=%2F&y=..', '/products/1', '?x=%2F&y=..'],
    ['/products/../admin', '/admin', ''],
    ['/products/%2e%2E/admin', '/admin', ''],
    ['/a/./b/../../c/', '/c/', ''],
    ['//products///1', '/products/1', ''],
    ['/products/..', '/', ''],
    ['/../../etc/passwd', '/etc/passwd', ''],
    ['/products/%7Euser', '/products/~user', ''],
    ['/products/caf%c3%a9', '/products/caf%C3%A9', ''],
    ['/.well-known/x', '/.well-known/x', ''],
  ])('%s → %s', (target, path, query) => {
    expect(normaliseTarget(target)).toEqual({ ok: true, path, query });
  });

  it.each([
    ['http://evil.example/products', 'absolute-URI'],
    ['evil.example:443', 'absolute-URI'],
    ['*', 'absolute-URI'],
    ['/products%2F1', 'encoded slash'],
    ['/products%5c1', 'encoded slash'],
    ['/products/%252e%252e/admin', 'double percent-encoding'],
    ['/products\\..\\admin', 'backslash'],
    ['/products/%zz', 'malformed percent-encoding'],
    ['/products/%2', 'malformed percent-encoding'],
  ])('refuses %s (%s)', (target, reason) => {
    const result = normaliseTarget(target);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toContain(reason);
  });
});
