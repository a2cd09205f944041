import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConsumerError, consumerErrorCodes, poisonEvent } from './errors.ts';

const doc = fs.readFileSync(
  path.join(path.dirname(fileURLToPath(import.meta.url)), '../../docs/consumer.md'),
  'utf8',
);

describe('consumer error codes', () => {
  it.each(Object.entries(consumerErrorCodes))('%s is documented with its meaning', (code, meaning) => {
    expect(doc).toMatch(new RegExp(`\\| \`${code}\` \\| ${meaning.replace(/[()]/g, '\\$&')} \\|`));
  });
  it('docs list no stale code', () => {
    const listed = [...doc.matchAll(/\| `(CDC_ERR_[A-Z_]+)` \|/g)].map((m) => m[1]);
    expect(listed.sort()).toEqual(Object.keys(consumerErrorCodes).sort());
  });
  it('poisonEvent is a non-retriable ConsumerError', () => {
    const err = poisonEvent('no');
    expect(err).toBeInstanceOf(ConsumerError);
    expect(err).toMatchObject({ code: 'CDC_ERR_HANDLER_REJECTED', retriable: false, name: 'ConsumerError' });
  });
});
