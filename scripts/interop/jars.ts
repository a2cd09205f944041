import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../../lib/component-process.ts';
import { dataRoot } from '../../lib/database/data-root.ts';
import { findJava, findMaven, type JavaInstall } from './java.ts';

const run = promisify(execFile);

const here = path.join(repoRoot, 'scripts/interop');
const pomFiles = ['pom.xml', 'kafka/pom.xml', 'connect/pom.xml', 'debezium/pom.xml'].map((f) =>
  path.join(here, 'maven', f),
);
const watchSource = path.join(here, 'ParentWatch.java');

/** Where each real tool's jars are, one classpath per tool. */
export interface InteropJars {
  java: JavaInstall;
  /** The KRaft broker and its storage tool: `kafka.Kafka`, `kafka.tools.StorageTool`. */
  kafka: string;
  /** Kafka Connect (standalone) with the JSON converter. */
  connect: string;
  /** Kafka Connect's plugin.path: one folder per connector plugin. */
  plugins: string;
  /** The compiled ParentWatch class every JVM starts through. */
  launcher: string;
  /** True when this call ran Maven; false when the jars of an earlier run were current. */
  resolved: boolean;
  /** How long resolving took (0 when reused). */
  resolveMs: number;
}

/** As pinned in scripts/interop/maven/pom.xml. */
export const versions = { kafka: '4.4.0', connect: '4.3.0', debezium: '3.6.1.Final' } as const;

/**
 * Fetches Apache Kafka, Kafka Connect and the Debezium MySQL connector from Maven Central (the
 * Maven project in scripts/interop/maven) into `<data>/interop/lib`, and compiles the launcher
 * class. A stamp of the poms, the launcher's source and the Java version makes a second call
 * free; any change re-resolves into a clean folder, so no jar of an old version lingers on a
 * classpath. Maven's own cache (~/.m2) keeps a re-resolve to seconds. A missing Java, Maven or
 * artifact throws with Maven's own words.
 */
export async function ensureInteropJars(
  options: { libDir?: string; mavenRepo?: string } = {},
): Promise<InteropJars> {
  const java = await findJava();
  const lib = options.libDir ?? path.join(dataRoot(), 'interop', 'lib');
  const jars = {
    java,
    kafka: path.join(lib, 'kafka'),
    connect: path.join(lib, 'connect'),
    plugins: path.join(lib, 'plugins'),
    launcher: path.join(lib, 'launcher'),
  };
  const hash = createHash('sha256');
  for (const f of [...pomFiles, watchSource]) hash.update(await fs.readFile(f));
  hash.update(java.version);
  const stamp = hash.digest('hex');
  const stampFile = path.join(lib, 'stamp');
  const current = await fs.readFile(stampFile, 'utf8').catch(() => '');
  if (current === stamp && existsSync(path.join(jars.launcher, 'ParentWatch.class')))
    return { ...jars, resolved: false, resolveMs: 0 };

  const started = Date.now();
  const mvn = await findMaven();
  await fs.rm(lib, { recursive: true, force: true });
  await fs.mkdir(lib, { recursive: true });
  try {
    await run(
      mvn,
      [
        '-B',
        '-q',
        '-f',
        path.join(here, 'maven', 'pom.xml'),
        'dependency:copy-dependencies',
        `-Dinterop.lib=${lib}`,
        ...(options.mavenRepo ? [`-Dmaven.repo.local=${options.mavenRepo}`] : []),
      ],
      // Maven finds its JDK through JAVA_HOME; the one we run with is as good as any.
      { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, JAVA_HOME: javaHome(java) } },
    );
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    const said = `${e.stdout ?? ''}${e.stderr ?? ''}`
      .split('\n')
      .filter((l) => l.includes('ERROR'))
      .slice(0, 20)
      .join('\n');
    throw new Error(
      `Maven could not fetch Apache Kafka ${versions.kafka}, Kafka Connect ${versions.connect} or Debezium ${versions.debezium} (scripts/interop/maven): ${said || e.message}`,
    );
  }
  for (const dir of [jars.kafka, jars.connect, path.join(jars.plugins, 'debezium-connector-mysql')]) {
    const files = await fs.readdir(dir).catch(() => []);
    if (!files.some((f) => f.endsWith('.jar'))) throw new Error(`Maven ran but left no jars in ${dir}`);
  }
  await run(java.javac, ['--release', String(17), '-d', jars.launcher, watchSource]).catch((err: Error) => {
    throw new Error(`javac could not compile ${watchSource}: ${err.message}`);
  });
  await fs.writeFile(stampFile, stamp);
  return { ...jars, resolved: true, resolveMs: Date.now() - started };
}

/** A classpath of every jar in `dir` (Java's `dir/*` wildcard). */
export function classpathOf(...dirs: string[]): string {
  return dirs.map((d) => (d.endsWith('.jar') ? d : path.join(d, '*'))).join(path.delimiter);
}

function javaHome(java: JavaInstall): string {
  return path.dirname(path.dirname(java.javac));
}
