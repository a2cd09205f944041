import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestPki {
  dir: string;
  /** The CA that signed the broker's certificate (KAFKA_SSL_CA_FILE of a client that trusts it). */
  caFile: string;
  /** Another CA, which signed nothing the broker shows: a client trusting only it must refuse the broker. */
  otherCaFile: string;
  /** The broker's key (PKCS#8, unencrypted) and certificate for 127.0.0.1 and localhost, in PEM. */
  brokerKeyFile: string;
  brokerCertFile: string;
  /** Key then certificate in one PEM file: Kafka's `ssl.keystore.type=PEM` keystore. */
  brokerKeystoreFile: string;
}

const openssl = (args: string[], cwd: string) => run('openssl', args, { cwd });

async function selfSignedCa(dir: string, name: string): Promise<string> {
  await openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
      '-subj',
      `/CN=${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  return path.join(dir, `${name}.pem`);
}

/**
 * Certificates made at test time with openssl (valid two days, never committed): a test CA,
 * a broker certificate it signs for 127.0.0.1/localhost, and an unrelated CA.
 */
export async function makeTestPki(dir: string): Promise<TestPki> {
  await fs.mkdir(dir, { recursive: true });
  const caFile = await selfSignedCa(dir, 'test-ca');
  const otherCaFile = await selfSignedCa(dir, 'other-ca');
  await openssl(
    [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'broker.key',
      '-out',
      'broker.csr',
      '-subj',
      '/CN=kafka-broker',
    ],
    dir,
  );
  await fs.writeFile(
    path.join(dir, 'broker.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n',
  );
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      'broker.csr',
      '-CA',
      'test-ca.pem',
      '-CAkey',
      'test-ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-out',
      'broker.pem',
      '-extfile',
      'broker.ext',
    ],
    dir,
  );
  const brokerKeyFile = path.join(dir, 'broker.key');
  const brokerCertFile = path.join(dir, 'broker.pem');
  const brokerKeystoreFile = path.join(dir, 'broker-keystore.pem');
  await fs.writeFile(
    brokerKeystoreFile,
    `${await fs.readFile(brokerKeyFile, 'utf8')}${await fs.readFile(brokerCertFile, 'utf8')}`,
  );
  return { dir, caFile, otherCaFile, brokerKeyFile, brokerCertFile, brokerKeystoreFile };
}
