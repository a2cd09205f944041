import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ShopError, shopErrorCodes } from '../../contract/index.ts';
import { repoRoot } from '../../lib/component-process.ts';

describe('shop error codes', () => {
  it('docs/shop.md lists every code with its status, and no stale one', async () => {
    const doc = await readFile(path.join(repoRoot, 'docs/shop.md'), 'utf8');
    const rows = [...doc.matchAll(/^\|\s*`(SHOP_ERR_[A-Z_]+)`\s*\|\s*(\d{3})\s*\|/gm)].map((m) => [
      m[1],
      Number(m[2]),
    ]);
    expect(Object.fromEntries(rows)).toEqual(shopErrorCodes);
  });

  it.each(Object.entries(shopErrorCodes))('ShopError %s carries status %i', (code, status) => {
    const err = new ShopError(code as keyof typeof shopErrorCodes, 'm');
    expect(err).toMatchObject({ name: 'ShopError', code, status, retriable: false, message: 'm' });
  });
});
