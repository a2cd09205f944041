import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConnectorError, connectorErrorCodes } from './errors.ts';

const doc = fs.readFileSync(
  path.join(path.dirname(fileURLToPath(import.meta.url)), '../../docs/connector.md'),
  'utf8',
);

describe('connector error codes', () => {
  const listed = [...doc.matchAll(/^\| `(CONNECTOR_ERR_[A-Z_]+)` \|/gm)].map((m) => m[1]);

  it.each(Object.keys(connectorErrorCodes))('%s has a row in docs/connector.md', (code) => {
    expect(listed).toContain(code);
  });

  it('docs/connector.md lists no stale code', () => {
    expect(listed.filter((c) => !(c! in connectorErrorCodes))).toEqual([]);
  });

  it('ConnectorError carries its code and retriable flag', () => {
    const err = new ConnectorError('CONNECTOR_ERR_OFFSET_PURGED', 'gone', { retriable: false });
    expect(err).toMatchObject({
      name: 'ConnectorError',
      code: 'CONNECTOR_ERR_OFFSET_PURGED',
      retriable: false,
    });
  });
});
