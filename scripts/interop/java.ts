import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { envValue } from '../../lib/config.ts';

const run = promisify(execFile);

export interface JavaInstall {
  /** The `java` launcher. */
  java: string;
  /** `javac` beside it (a JDK), for the small launcher class the JVMs start through. */
  javac: string;
  /** Feature release: 17, 21, 25… */
  major: number;
  /** The first line `java -version` prints, for reports. */
  version: string;
}

/** Kafka 4.x brokers and Kafka Connect need Java 17 or newer. */
export const minimumJava = 17;

/**
 * The Java the interop tests and benches run Kafka and Debezium with: `$INTEROP_JAVA_HOME`, else
 * `$JAVA_HOME`, else `java` on PATH. Throws naming what is missing or too old: the interop suite
 * fails with its reason, never skips.
 */
export async function findJava(env: NodeJS.ProcessEnv = process.env): Promise<JavaInstall> {
  const home = envValue('INTEROP_JAVA_HOME', env) ?? envValue('JAVA_HOME', env);
  const java = home ? path.join(home, 'bin', 'java') : await onPath('java', env);
  if (!java || !existsSync(java))
    throw new Error(
      `Java ${minimumJava}+ is needed to run Apache Kafka and Debezium, and none was found ${
        home ? `at ${java}` : 'on PATH'
      }: install a JDK (Debian: apt-get install openjdk-17-jdk-headless) or set JAVA_HOME`,
    );
  // `java -version` prints to stderr: `openjdk version "17.0.15" 2025-04-15`.
  const { stderr } = await run(java, ['-version']);
  const first = stderr.split('\n')[0] ?? '';
  const match = /version "(\d+)(?:\.(\d+))?/.exec(first);
  if (!match) throw new Error(`cannot read the Java version of ${java} from: ${first}`);
  // Java 8 and older print "1.8.0_…".
  const major = match[1] === '1' ? Number(match[2]) : Number(match[1]);
  if (major < minimumJava)
    throw new Error(
      `${java} is Java ${major}; Apache Kafka 4 needs Java ${minimumJava} or newer: install one or set JAVA_HOME`,
    );
  // Debian's /usr/bin/java is a chain of symlinks into the JDK's bin/, where javac lives too.
  const javac = path.join(path.dirname(await realpath(java)), 'javac');
  if (!existsSync(javac))
    throw new Error(
      `${java} is a JRE without javac; the interop launcher class is compiled at install time: install the JDK (Debian: openjdk-${major}-jdk-headless)`,
    );
  return { java, javac, major, version: first.trim() };
}

/** Maven's `mvn`: `$INTEROP_MVN`, else on PATH. */
export async function findMaven(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const mvn = envValue('INTEROP_MVN', env) ?? (await onPath('mvn', env));
  if (!mvn || !existsSync(mvn))
    throw new Error(
      'Maven (mvn) is needed to fetch Apache Kafka and Debezium from Maven Central and was not found on PATH: install it (Debian: apt-get install maven) or set INTEROP_MVN',
    );
  return mvn;
}

async function onPath(name: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of (envValue('PATH', env) ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}
