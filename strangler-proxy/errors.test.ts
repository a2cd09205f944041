import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../lib/component-process.ts';
import { ProxyError, proxyErrorCodes } from './errors.ts';

describe('proxy error codes', () => {
  const doc = fs.readFileSync(path.join(repoRoot, 'docs', 'proxy.md'), 'utf8');
  const documented = new Set(doc.match(/PROXY_ERR_[A-Z_]+/g));

  it.each(Object.keys(proxyErrorCodes))('%s is documented in docs/proxy.md', (code) => {
    expect(documented.has(code)).toBe(true);
  });

  it('docs/proxy.md lists no stale code', () => {
    expect([...documented].filter((c) => !(c in proxyErrorCodes))).toEqual([]);
  });

  it('ProxyError carries code, status and retriable', () => {
    const err = new ProxyError('PROXY_ERR_UPSTREAM_TIMEOUT', 'slow', { status: 504, retriable: true });
    expect(err).toMatchObject({
      name: 'ProxyError',
      code: 'PROXY_ERR_UPSTREAM_TIMEOUT',
      status: 504,
      retriable: true,
    });
  });
});
