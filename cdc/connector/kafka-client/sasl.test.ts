import { describe, expect, it } from 'vitest';
import { scramFinal } from './sasl.ts';

/**
 * The SCRAM computations against RFC 7677's vector (SCRAM-SHA-512 has no RFC vector: the
 * interop suite, test/interop/kafka-security.test.ts, checks it and the exchange against Kafka).
 */
describe('scramFinal', () => {
  it('SCRAM-SHA-256: the example exchange of RFC 7677 §3', () => {
    const text = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';
    const out = scramFinal('sha256', 'pencil', 'n=user,r=rOprNGfwEbeRWgbNEkqO', {
      text,
      nonce: 'rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
      salt: 'W22ZaJ0SNY7soEsUEjb6gQ==',
      iterations: 4096,
    });
    expect(out.clientFinal).toBe(
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    );
    expect(out.serverSignature.toString('base64')).toBe('6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
  });
});
