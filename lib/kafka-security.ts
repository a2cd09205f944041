import { createPrivateKey, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import type tls from 'node:tls';
import { envValue } from './config.ts';
import { ConfigError } from './errors.ts';

/**
 * How every Kafka client of the toolkit secures its connections: TLS (SSL) and SASL (PLAIN,
 * SCRAM-SHA-256, SCRAM-SHA-512), as Kafka's own `security.protocol` names them. The one place
 * that reads the KAFKA_SECURITY_PROTOCOL, KAFKA_SSL_* and KAFKA_SASL_* variables; the
 * connector's connection factory and the kafkajs clients (consumer library, services, writer
 * map) take what it returns. Files are read once, here: a missing CA or key stops the process
 * at start with the variable named, not at the first connection.
 */
export const securityProtocols = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;
export type SecurityProtocol = (typeof securityProtocols)[number];
export const saslMechanisms = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
export type SaslMechanism = (typeof saslMechanisms)[number];

/** The variables, in the order the docs list them. */
export const kafkaSecurityEnv = {
  protocol: 'KAFKA_SECURITY_PROTOCOL',
  caFile: 'KAFKA_SSL_CA_FILE',
  certFile: 'KAFKA_SSL_CERT_FILE',
  keyFile: 'KAFKA_SSL_KEY_FILE',
  rejectUnauthorized: 'KAFKA_SSL_REJECT_UNAUTHORIZED',
  mechanism: 'KAFKA_SASL_MECHANISM',
  username: 'KAFKA_SASL_USERNAME',
  password: 'KAFKA_SASL_PASSWORD',
  passwordFile: 'KAFKA_SASL_PASSWORD_FILE',
} as const;

export interface KafkaTls {
  /** PEM certificates to trust; undefined = Node's bundled public CAs. */
  ca?: string;
  /** Client certificate and key (PEM), for a broker that asks for one (ssl.client.auth). */
  cert?: string;
  /** Not enumerable, as the password. */
  readonly key?: string;
  rejectUnauthorized: boolean;
}

export interface KafkaSasl {
  mechanism: SaslMechanism;
  username: string;
  /** Not enumerable: a logged or JSON-dumped config never shows it. */
  readonly password: string;
}

export interface KafkaSecurity {
  protocol: SecurityProtocol;
  tls?: KafkaTls;
  sasl?: KafkaSasl;
}

export const plaintext: KafkaSecurity = Object.freeze({ protocol: 'PLAINTEXT' });

const usesTls = (p: SecurityProtocol) => p === 'SSL' || p === 'SASL_SSL';
const usesSasl = (p: SecurityProtocol) => p === 'SASL_PLAINTEXT' || p === 'SASL_SSL';

const readable = (
  name: string,
  file: string,
  problems: string[],
  check: (text: string) => string | undefined,
): string | undefined => {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    problems.push(
      `${name}=${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
    return undefined;
  }
  const wrong = check(text);
  if (wrong) {
    problems.push(`${name}=${file}: ${wrong}`);
    return undefined;
  }
  return text;
};

const pemCertificates = (text: string): string | undefined => {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (!blocks) return 'holds no PEM certificate (-----BEGIN CERTIFICATE-----)';
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (err) {
      return `a certificate in it does not parse (${(err as Error).message})`;
    }
  }
  return undefined;
};

const pemKey = (text: string): string | undefined => {
  try {
    createPrivateKey(text);
    return undefined;
  } catch (err) {
    return `is not an unencrypted PEM private key (${(err as Error).message})`;
  }
};

/**
 * Reads and checks the security variables. Every problem is reported at once in a ConfigError
 * (CONFIG_ERR_INVALID) naming the variable; `component` is the process reading them.
 */
export function loadKafkaSecurity(component: string, env: NodeJS.ProcessEnv = process.env): KafkaSecurity {
  const v = (key: keyof typeof kafkaSecurityEnv) => envValue(kafkaSecurityEnv[key], env);
  const problems: string[] = [];
  const protocolText = v('protocol') ?? 'PLAINTEXT';
  const protocol = securityProtocols.find((p) => p === protocolText.toUpperCase());
  if (!protocol) {
    problems.push(
      `KAFKA_SECURITY_PROTOCOL=${JSON.stringify(protocolText)}: expected one of ${securityProtocols.join(', ')}`,
    );
    throw new ConfigError(component, problems);
  }

  let tlsOptions: KafkaTls | undefined;
  const tlsNames = ['caFile', 'certFile', 'keyFile', 'rejectUnauthorized'] as const;
  if (!usesTls(protocol)) {
    for (const key of tlsNames)
      if (v(key) !== undefined)
        problems.push(
          `${kafkaSecurityEnv[key]} is set but KAFKA_SECURITY_PROTOCOL=${protocol} does not use TLS (set SSL or SASL_SSL)`,
        );
  } else {
    const rejectText = (v('rejectUnauthorized') ?? 'true').toLowerCase();
    if (!['true', 'false'].includes(rejectText))
      problems.push(
        `KAFKA_SSL_REJECT_UNAUTHORIZED=${JSON.stringify(v('rejectUnauthorized'))}: expected true or false`,
      );
    tlsOptions = { rejectUnauthorized: rejectText !== 'false' };
    const caFile = v('caFile');
    if (caFile) {
      const ca = readable('KAFKA_SSL_CA_FILE', caFile, problems, pemCertificates);
      if (ca) tlsOptions.ca = ca;
    }
    const certFile = v('certFile');
    const keyFile = v('keyFile');
    if ((certFile === undefined) !== (keyFile === undefined))
      problems.push(
        certFile
          ? 'KAFKA_SSL_CERT_FILE is set without KAFKA_SSL_KEY_FILE: a client certificate needs its key'
          : 'KAFKA_SSL_KEY_FILE is set without KAFKA_SSL_CERT_FILE: a client key needs its certificate',
      );
    else if (certFile && keyFile) {
      const cert = readable('KAFKA_SSL_CERT_FILE', certFile, problems, pemCertificates);
      const key = readable('KAFKA_SSL_KEY_FILE', keyFile, problems, pemKey);
      if (cert && key) {
        tlsOptions.cert = cert;
        Object.defineProperty(tlsOptions, 'key', { value: key, enumerable: false });
      }
    }
  }

  let sasl: KafkaSasl | undefined;
  const saslNames = ['mechanism', 'username', 'password', 'passwordFile'] as const;
  if (!usesSasl(protocol)) {
    for (const key of saslNames)
      if (v(key) !== undefined)
        problems.push(
          `${kafkaSecurityEnv[key]} is set but KAFKA_SECURITY_PROTOCOL=${protocol} does not use SASL (set SASL_PLAINTEXT or SASL_SSL)`,
        );
  } else {
    const mechanismText = v('mechanism');
    const mechanism = saslMechanisms.find((m) => m === mechanismText?.toUpperCase());
    if (!mechanismText)
      problems.push(
        `KAFKA_SASL_MECHANISM is unset: KAFKA_SECURITY_PROTOCOL=${protocol} needs one of ${saslMechanisms.join(', ')}`,
      );
    else if (!mechanism)
      problems.push(
        `KAFKA_SASL_MECHANISM=${JSON.stringify(mechanismText)}: expected one of ${saslMechanisms.join(', ')}`,
      );
    const username = v('username');
    if (!username)
      problems.push(`KAFKA_SASL_USERNAME is unset: KAFKA_SECURITY_PROTOCOL=${protocol} needs a user`);
    let password = v('password');
    const passwordFile = v('passwordFile');
    if (password !== undefined && passwordFile !== undefined)
      problems.push('KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE are both set: give one');
    else if (passwordFile !== undefined) {
      // A trailing newline is the file's, not the password's (as Docker secrets are written).
      password = readable('KAFKA_SASL_PASSWORD_FILE', passwordFile, problems, (text) =>
        text.replace(/\r?\n$/, '') === '' ? 'is empty' : undefined,
      )?.replace(/\r?\n$/, '');
    } else if (password === undefined)
      problems.push(
        `KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE) is unset: KAFKA_SECURITY_PROTOCOL=${protocol} needs the user's password`,
      );
    if (mechanism && username && password !== undefined) {
      sasl = { mechanism, username } as KafkaSasl;
      Object.defineProperty(sasl, 'password', { value: password, enumerable: false });
    }
  }

  if (problems.length > 0) throw new ConfigError(component, problems);
  return Object.freeze({
    protocol,
    ...(tlsOptions ? { tls: Object.freeze(tlsOptions) } : {}),
    ...(sasl ? { sasl: Object.freeze(sasl) } : {}),
  });
}

/** What a log line or a status page may show: no password, no key, file contents summarised. */
export function describeKafkaSecurity(security: KafkaSecurity): Record<string, unknown> {
  return {
    protocol: security.protocol,
    ...(security.tls
      ? {
          tls: {
            ca: security.tls.ca ? 'from KAFKA_SSL_CA_FILE' : 'system CAs',
            clientCertificate: security.tls.cert !== undefined,
            rejectUnauthorized: security.tls.rejectUnauthorized,
          },
        }
      : {}),
    ...(security.sasl
      ? {
          sasl: {
            mechanism: security.sasl.mechanism,
            username: security.sasl.username,
            password: '[redacted]',
          },
        }
      : {}),
  };
}

/** node:tls options for a connection to `host` (undefined: plain TCP). */
export function tlsConnectOptions(security: KafkaSecurity, host?: string): tls.ConnectionOptions | undefined {
  if (!security.tls) return undefined;
  const { ca, cert, key, rejectUnauthorized } = security.tls;
  return {
    ...(ca ? { ca } : {}),
    ...(cert && key ? { cert, key } : {}),
    rejectUnauthorized,
    // SNI takes a name, not an address (Node warns otherwise); the certificate check uses `host` either way.
    ...(host && !/^[\d.:]+$/.test(host) ? { servername: host } : {}),
  };
}

type KafkajsSasl =
  | { mechanism: 'plain'; username: string; password: string }
  | { mechanism: 'scram-sha-256'; username: string; password: string }
  | { mechanism: 'scram-sha-512'; username: string; password: string };

/** The `ssl` and `sasl` options of a kafkajs client (its own implementation of both). */
export function kafkajsSecurity(security: KafkaSecurity): {
  ssl?: tls.ConnectionOptions;
  sasl?: KafkajsSasl;
} {
  const ssl = tlsConnectOptions(security);
  const sasl = security.sasl;
  return {
    ...(ssl ? { ssl } : {}),
    ...(sasl
      ? {
          sasl: {
            mechanism: sasl.mechanism.toLowerCase(),
            username: sasl.username,
            password: sasl.password,
          } as KafkajsSasl,
        }
      : {}),
  };
}

/**
 * Node's codes for a TLS connection whose peer is not trusted or that cannot be negotiated:
 * waiting does not change them, so clients fail at once instead of retrying.
 */
const tlsTrustCodes = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * Whether a socket error means the TLS handshake can never succeed as configured: a peer the
 * CAs do not vouch for, or a listener that does not speak TLS (it hangs up on the ClientHello,
 * which Node reports as a reset "before secure TLS connection was established").
 */
export function isTlsHandshakeFailure(code: unknown, message = ''): boolean {
  if (typeof code !== 'string') return false;
  return (
    tlsTrustCodes.has(code) ||
    code.startsWith('ERR_SSL_') ||
    (code === 'ECONNRESET' && message.includes('before secure TLS connection was established'))
  );
}
