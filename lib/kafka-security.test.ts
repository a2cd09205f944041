import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, type TestPki } from '../scripts/interop/certs.ts';
import { ConfigError } from './errors.ts';
import {
  describeKafkaSecurity,
  isTlsHandshakeFailure,
  kafkajsSecurity,
  loadKafkaSecurity,
  tlsConnectOptions,
} from './kafka-security.ts';

/** Every combination the security variables can get wrong, and what each good one becomes. */

let dir: string;
let pki: TestPki;
let passwordFile: string;
let emptyFile: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-security-'));
  pki = await makeTestPki(path.join(dir, 'pki'));
  passwordFile = path.join(dir, 'password');
  fs.writeFileSync(passwordFile, 's3cret-from-file\n');
  emptyFile = path.join(dir, 'empty');
  fs.writeFileSync(emptyFile, '\n');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const problemsOf = (env: NodeJS.ProcessEnv): string[] => {
  try {
    loadKafkaSecurity('test', env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('CONFIG_ERR_INVALID');
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
};

const sasl = {
  KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
  KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
  KAFKA_SASL_USERNAME: 'alice',
  KAFKA_SASL_PASSWORD: 'alice-secret',
};

describe('loadKafkaSecurity: good settings', () => {
  it('nothing set is PLAINTEXT, with neither TLS nor SASL', () => {
    expect(loadKafkaSecurity('test', {})).toEqual({ protocol: 'PLAINTEXT' });
    expect(kafkajsSecurity(loadKafkaSecurity('test', {}))).toEqual({});
  });

  it('SASL_SSL with SCRAM-SHA-512 and a CA file maps to kafkajs ssl and sasl', () => {
    const s = loadKafkaSecurity('test', { ...sasl, KAFKA_SSL_CA_FILE: pki.caFile });
    expect(s.protocol).toBe('SASL_SSL');
    expect(s.tls).toMatchObject({ rejectUnauthorized: true, ca: fs.readFileSync(pki.caFile, 'utf8') });
    expect(s.sasl).toMatchObject({ mechanism: 'SCRAM-SHA-512', username: 'alice' });
    expect(s.sasl?.password).toBe('alice-secret');
    expect(kafkajsSecurity(s)).toEqual({
      ssl: { ca: s.tls!.ca, rejectUnauthorized: true },
      sasl: { mechanism: 'scram-sha-512', username: 'alice', password: 'alice-secret' },
    });
  });

  it('SASL_PLAINTEXT PLAIN reads the password from a file (one trailing newline dropped); no TLS', () => {
    const s = loadKafkaSecurity('test', {
      KAFKA_SECURITY_PROTOCOL: 'sasl_plaintext',
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: 'bob',
      KAFKA_SASL_PASSWORD_FILE: passwordFile,
    });
    expect(s).toMatchObject({ protocol: 'SASL_PLAINTEXT', sasl: { mechanism: 'PLAIN', username: 'bob' } });
    expect(s.sasl?.password).toBe('s3cret-from-file');
    expect(s.tls).toBeUndefined();
    expect(tlsConnectOptions(s)).toBeUndefined();
  });

  it('SSL with a client certificate and key, and verification off when asked', () => {
    const s = loadKafkaSecurity('test', {
      KAFKA_SECURITY_PROTOCOL: 'SSL',
      KAFKA_SSL_CERT_FILE: pki.brokerCertFile,
      KAFKA_SSL_KEY_FILE: pki.brokerKeyFile,
      KAFKA_SSL_REJECT_UNAUTHORIZED: 'false',
    });
    expect(s.sasl).toBeUndefined();
    const options = tlsConnectOptions(s, 'kafka.example')!;
    expect(options).toMatchObject({ rejectUnauthorized: false, servername: 'kafka.example' });
    expect(options.cert).toContain('BEGIN CERTIFICATE');
    expect(options.key).toContain('PRIVATE KEY');
    // The key, as the password, stays out of dumps.
    expect(JSON.stringify(s)).not.toContain('PRIVATE KEY');
    expect(inspect(s, { depth: 5 })).not.toContain('PRIVATE KEY');
    // An address is no SNI name.
    expect(tlsConnectOptions(s, '127.0.0.1')).not.toHaveProperty('servername');
  });

  it('the password never shows in a log line, JSON dump, inspect or description', () => {
    const s = loadKafkaSecurity('test', { ...sasl, KAFKA_SSL_CA_FILE: pki.caFile });
    expect(JSON.stringify(s)).not.toContain('alice-secret');
    expect(inspect(s, { depth: 5 })).not.toContain('alice-secret');
    expect(JSON.stringify(describeKafkaSecurity(s))).not.toContain('alice-secret');
    expect(describeKafkaSecurity(s)).toEqual({
      protocol: 'SASL_SSL',
      tls: { ca: 'from KAFKA_SSL_CA_FILE', clientCertificate: false, rejectUnauthorized: true },
      sasl: { mechanism: 'SCRAM-SHA-512', username: 'alice', password: '[redacted]' },
    });
  });
});

describe('loadKafkaSecurity: every bad combination is a ConfigError naming the variable', () => {
  it.each<[string, NodeJS.ProcessEnv, RegExp[]]>([
    [
      'an unknown protocol',
      { KAFKA_SECURITY_PROTOCOL: 'TLS' },
      [/^KAFKA_SECURITY_PROTOCOL="TLS": expected one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL$/],
    ],
    [
      'a SASL mechanism without a SASL protocol',
      { KAFKA_SASL_MECHANISM: 'PLAIN', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' },
      [
        /^KAFKA_SASL_MECHANISM is set but KAFKA_SECURITY_PROTOCOL=PLAINTEXT does not use SASL/,
        /^KAFKA_SASL_USERNAME is set but/,
        /^KAFKA_SASL_PASSWORD is set but/,
      ],
    ],
    [
      'SASL settings with SSL only',
      { KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SASL_PASSWORD_FILE: '/x' },
      [
        /^KAFKA_SASL_PASSWORD_FILE is set but KAFKA_SECURITY_PROTOCOL=SSL does not use SASL \(set SASL_PLAINTEXT or SASL_SSL\)$/,
      ],
    ],
    [
      'TLS settings without a TLS protocol',
      {
        KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
        ...{ KAFKA_SASL_MECHANISM: 'PLAIN', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' },
        KAFKA_SSL_CA_FILE: '/ca.pem',
        KAFKA_SSL_REJECT_UNAUTHORIZED: 'false',
      },
      [
        /^KAFKA_SSL_CA_FILE is set but KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT does not use TLS \(set SSL or SASL_SSL\)$/,
        /^KAFKA_SSL_REJECT_UNAUTHORIZED is set but/,
      ],
    ],
    [
      'a SASL protocol with nothing else',
      { KAFKA_SECURITY_PROTOCOL: 'SASL_SSL' },
      [
        /^KAFKA_SASL_MECHANISM is unset: KAFKA_SECURITY_PROTOCOL=SASL_SSL needs one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512$/,
        /^KAFKA_SASL_USERNAME is unset/,
        /^KAFKA_SASL_PASSWORD \(or KAFKA_SASL_PASSWORD_FILE\) is unset/,
      ],
    ],
    [
      'an unknown mechanism',
      { ...sasl, KAFKA_SASL_MECHANISM: 'GSSAPI' },
      [/^KAFKA_SASL_MECHANISM="GSSAPI": expected one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512$/],
    ],
    [
      'a missing password',
      { ...sasl, KAFKA_SASL_PASSWORD: undefined },
      [/^KAFKA_SASL_PASSWORD \(or KAFKA_SASL_PASSWORD_FILE\) is unset/],
    ],
    [
      'an empty password (unset)',
      { ...sasl, KAFKA_SASL_PASSWORD: '' },
      [/^KAFKA_SASL_PASSWORD \(or KAFKA_SASL_PASSWORD_FILE\) is unset/],
    ],
    [
      'both password and password file',
      { ...sasl, KAFKA_SASL_PASSWORD_FILE: '/x' },
      [/^KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE are both set: give one$/],
    ],
    [
      'an unreadable password file',
      { ...sasl, KAFKA_SASL_PASSWORD: undefined, KAFKA_SASL_PASSWORD_FILE: '/no/such/password' },
      [/^KAFKA_SASL_PASSWORD_FILE=\/no\/such\/password: cannot be read \(ENOENT\)$/],
    ],
    [
      'a bad REJECT_UNAUTHORIZED',
      { KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_REJECT_UNAUTHORIZED: 'maybe' },
      [/^KAFKA_SSL_REJECT_UNAUTHORIZED="maybe": expected true or false$/],
    ],
    [
      'an unreadable CA',
      { KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CA_FILE: '/no/such/ca.pem' },
      [/^KAFKA_SSL_CA_FILE=\/no\/such\/ca\.pem: cannot be read \(ENOENT\)$/],
    ],
    [
      'a certificate without its key',
      { KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CERT_FILE: '/c.pem' },
      [/^KAFKA_SSL_CERT_FILE is set without KAFKA_SSL_KEY_FILE: a client certificate needs its key$/],
    ],
    [
      'a key without its certificate',
      { KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_KEY_FILE: '/k.pem' },
      [/^KAFKA_SSL_KEY_FILE is set without KAFKA_SSL_CERT_FILE: a client key needs its certificate$/],
    ],
  ])('%s', (_, env, expected) => {
    const problems = problemsOf(env);
    expect(problems).toHaveLength(expected.length);
    for (const [i, re] of expected.entries()) expect(problems[i]).toMatch(re);
  });

  it('an empty password file, a CA file without a certificate, a key file that is a certificate', () => {
    expect(
      problemsOf({ ...sasl, KAFKA_SASL_PASSWORD: undefined, KAFKA_SASL_PASSWORD_FILE: emptyFile }),
    ).toEqual([`KAFKA_SASL_PASSWORD_FILE=${emptyFile}: is empty`]);
    expect(problemsOf({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CA_FILE: passwordFile })).toEqual([
      `KAFKA_SSL_CA_FILE=${passwordFile}: holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
    ]);
    const problems = problemsOf({
      KAFKA_SECURITY_PROTOCOL: 'SSL',
      KAFKA_SSL_CERT_FILE: pki.brokerKeyFile,
      KAFKA_SSL_KEY_FILE: pki.brokerCertFile,
    });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toBe(
      `KAFKA_SSL_CERT_FILE=${pki.brokerKeyFile}: holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
    );
    expect(problems[1]).toMatch(
      new RegExp(
        `^KAFKA_SSL_KEY_FILE=${pki.brokerCertFile.replace(/\./g, '\\.')}: is not an unencrypted PEM private key`,
      ),
    );
  });

  it('a certificate that does not parse is named', () => {
    const broken = path.join(dir, 'broken.pem');
    fs.writeFileSync(broken, '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n');
    expect(problemsOf({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CA_FILE: broken })[0]).toMatch(
      /^KAFKA_SSL_CA_FILE=.*broken\.pem: a certificate in it does not parse/,
    );
  });

  it('the error message names the component and never the password', () => {
    try {
      loadKafkaSecurity('catalog', { ...sasl, KAFKA_SASL_MECHANISM: 'MD5' });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect((err as Error).message).toMatch(/^invalid configuration for catalog:/);
      expect((err as Error).message).not.toContain('alice-secret');
    }
  });
});

describe('isTlsHandshakeFailure', () => {
  it.each([
    ['SELF_SIGNED_CERT_IN_CHAIN', true],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', true],
    ['ERR_TLS_CERT_ALTNAME_INVALID', true],
    ['ERR_SSL_WRONG_VERSION_NUMBER', true],
    ['ECONNREFUSED', false],
    ['ECONNRESET', false],
    [undefined, false],
  ])('%s → %s', (code, expected) => {
    expect(isTlsHandshakeFailure(code)).toBe(expected);
  });

  it('a reset during the handshake is a listener that does not speak TLS; any other reset is not', () => {
    const hungUp = 'Client network socket disconnected before secure TLS connection was established';
    expect(isTlsHandshakeFailure('ECONNRESET', hungUp)).toBe(true);
    expect(isTlsHandshakeFailure('ECONNRESET', 'read ECONNRESET')).toBe(false);
  });
});
