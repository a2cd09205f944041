import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OperatorTokens } from './operators.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await fs.rm(d, { recursive: true, force: true });
});
async function tokens(): Promise<OperatorTokens> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'operators-'));
  dirs.push(dir);
  return new OperatorTokens(dir, 'the-shared-admin-token-0123456789');
}

describe('operator tokens', () => {
  it('names who presented a token: admin for the shared one, the operator for theirs, nobody else', async () => {
    const ops = await tokens();
    const { token, operator } = await ops.create('alice');
    expect(operator).toMatchObject({ name: 'alice', revokedAt: null });
    expect(await ops.identify('the-shared-admin-token-0123456789')).toEqual({ name: 'admin', root: true });
    expect(await ops.identify(token)).toEqual({ name: 'alice', root: false });
    expect(await ops.identify(`${token}x`)).toBeUndefined();
    expect(await ops.identify(undefined)).toBeUndefined();
    // the file keeps a digest only, mode 0600
    const text = await fs.readFile(ops.file, 'utf8');
    expect(text).not.toContain(token);
    expect((await fs.stat(ops.file)).mode & 0o777).toBe(0o600);
  });

  it('a revoked token names nobody; the name can be issued again, with a new token', async () => {
    const ops = await tokens();
    const first = await ops.create('bob');
    await expect(ops.create('bob')).rejects.toMatchObject({ code: 'PROXY_ERR_OPERATOR_EXISTS', status: 409 });
    expect((await ops.revoke('bob')).revokedAt).toEqual(expect.any(String));
    expect(await ops.identify(first.token)).toBeUndefined();
    await expect(ops.revoke('bob')).rejects.toMatchObject({
      code: 'PROXY_ERR_UNKNOWN_OPERATOR',
      status: 404,
    });
    const second = await ops.create('bob');
    expect(second.token).not.toBe(first.token);
    expect(await ops.identify(second.token)).toEqual({ name: 'bob', root: false });
    expect((await ops.list()).map((o) => [o.name, o.revokedAt === null])).toEqual([
      ['bob', false],
      ['bob', true],
    ]);
  });

  it('refuses bad names with the rule', async () => {
    const ops = await tokens();
    for (const name of ['', 'admin', ' alice', 'a/b', 'x'.repeat(65), 42, undefined])
      await expect(ops.create(name)).rejects.toMatchObject({
        code: 'PROXY_ERR_OPERATOR_INVALID',
        status: 400,
      });
  });

  it('sees tokens another process issued (same data folder)', async () => {
    const ops = await tokens();
    const other = new OperatorTokens(path.dirname(ops.file), 'the-shared-admin-token-0123456789');
    expect(await ops.identify('nope')).toBeUndefined(); // caches the empty state
    const { token } = await other.create('carol');
    expect(await ops.identify(token)).toEqual({ name: 'carol', root: false });
  });
});
