import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../lib/component-process.ts';
import { ErrorCode, errorCodes } from '../kafka-protocol/error-codes.ts';
import { FrameSizeError, MalformedRequestError, StorageError, UnsupportedVersionError } from './errors.ts';

const doc = fs.readFileSync(path.join(repoRoot, 'docs', 'broker.md'), 'utf8');

describe('broker errors', () => {
  it.each([
    [new MalformedRequestError('x'), 'MalformedRequestError', 'BROKER_ERR_MALFORMED_REQUEST'],
    [new FrameSizeError(-1, 100), 'FrameSizeError', 'BROKER_ERR_FRAME_SIZE'],
    [new StorageError('x'), 'StorageError', 'BROKER_ERR_STORAGE'],
    [
      new UnsupportedVersionError('Produce', 0, 2),
      'UnsupportedVersionError',
      'BROKER_ERR_UNSUPPORTED_VERSION',
    ],
  ])('%s has its name and stable code', (err, name, code) => {
    expect(err.name).toBe(name);
    expect(err.code).toBe(code);
    expect(err.retriable).toBe(false);
  });

  it('docs/broker.md lists every broker error code and no stale one', () => {
    const source = fs.readFileSync(path.join(repoRoot, 'cdc', 'broker', 'errors.ts'), 'utf8');
    const inCode = new Set(source.match(/BROKER_ERR_[A-Z_]+/g));
    const inDoc = new Set(doc.match(/BROKER_ERR_[A-Z_]+/g));
    expect([...inDoc].sort()).toEqual([...inCode].sort());
  });

  it('docs/broker.md lists the wire-protocol module error codes and no stale one', () => {
    const source = fs.readFileSync(path.join(repoRoot, 'cdc', 'kafka-protocol', 'errors.ts'), 'utf8');
    const inCode = new Set(source.match(/KAFKA_PROTOCOL_ERR_[A-Z_]+/g));
    const inDoc = new Set(doc.match(/KAFKA_PROTOCOL_ERR_[A-Z_]+/g));
    expect(inCode.size).toBeGreaterThan(0);
    expect([...inDoc].sort()).toEqual([...inCode].sort());
  });

  it('docs/broker.md has a row for every Kafka error code the broker returns, and the table matches the constants', () => {
    for (const e of errorCodes) {
      expect(doc).toContain(`| ${e.code} | ${e.name} |`);
      expect(ErrorCode[e.name]).toBe(e.code);
    }
    expect(errorCodes).toHaveLength(Object.keys(ErrorCode).length);
  });
});
