import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { classpathOf, type InteropJars } from './jars.ts';

/**
 * Small JVMs: two cores are shared by the test workers, Kafka, Connect and MariaDB. Serial GC
 * has no GC threads to compete; C1 only (TieredStopAtLevel=1) starts faster and is fast enough
 * for tests (benches pass `fast: false` for the full JIT); no perf-data file under /tmp.
 */
export function jvmFlags(options: { heapMb?: number; fast?: boolean } = {}): string[] {
  return [
    `-Xmx${options.heapMb ?? 256}m`,
    '-XX:+UseSerialGC',
    ...(options.fast === false ? [] : ['-XX:TieredStopAtLevel=1']),
    '-XX:-UsePerfData',
    '-Djava.awt.headless=true',
  ];
}

/**
 * A log4j 2 configuration for Kafka's and Connect's JVMs: warnings only, plus INFO from the
 * loggers named (at INFO a broker prints thousands of configuration lines per start). Written
 * to `<dir>/log4j2.properties`; returns the JVM flag that points at it.
 */
export async function writeLog4jConfig(dir: string, infoLoggers: Record<string, string>): Promise<string> {
  const lines = [
    'status = warn',
    'appender.out.type = Console',
    'appender.out.name = out',
    'appender.out.layout.type = PatternLayout',
    'appender.out.layout.pattern = [%d] %p %m (%c)%n',
    'rootLogger.level = warn',
    'rootLogger.appenderRef.out.ref = out',
    ...Object.entries(infoLoggers).flatMap(([id, logger]) => [
      `logger.${id}.name = ${logger}`,
      `logger.${id}.level = info`,
    ]),
  ];
  const file = path.join(dir, 'log4j2.properties');
  await writeFile(file, `${lines.join('\n')}\n`);
  return `-Dlog4j2.configurationFile=${file}`;
}

export interface JvmOptions {
  name: string;
  jars: InteropJars;
  /** Folders of jars (or single jars). */
  classpath: string[];
  mainClass: string;
  args?: string[];
  /** JVM flags; jvmFlags() when absent. */
  jvmArgs?: string[];
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Also append the output to this file (kept after the test for a post-mortem). */
  logFile?: string;
  /** How long a SIGTERM'd JVM may take before SIGKILL. */
  stopTimeoutMs?: number;
}

export interface JvmExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface JvmProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** The last 1 MiB the JVM wrote, stdout and stderr interleaved. */
  output(): string;
  exited: Promise<JvmExit>;
  /** SIGTERM (shutdown hooks: Kafka's controlled shutdown), SIGKILL after the bound. */
  stop(timeoutMs?: number): Promise<JvmExit>;
  /** SIGKILL: a crash. */
  kill(): Promise<JvmExit>;
}

/**
 * Starts a JVM through ParentWatch (scripts/interop/ParentWatch.java) with its standard input a
 * pipe that only this process holds: if this process dies, SIGKILL included, the pipe ends and
 * the JVM stops itself, so no Kafka or Connect outlives a killed test run. Readiness is the
 * caller's (each tool has its own: a metadata answer, a REST status).
 */
export function startJvm(options: JvmOptions): JvmProcess {
  const child = spawn(
    options.jars.java.java,
    [
      ...(options.jvmArgs ?? jvmFlags()),
      `-Dparentwatch.graceMs=${options.stopTimeoutMs ?? 15_000}`,
      '-cp',
      // The launcher is a class folder; the tools are folders of jars.
      [options.jars.launcher, classpathOf(...options.classpath)].join(path.delimiter),
      'ParentWatch',
      options.mainClass,
      ...(options.args ?? []),
    ],
    {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  // Never written to: it is there to end. An EPIPE once the JVM is gone is expected.
  child.stdin!.on('error', () => undefined);
  let buffer = '';
  let log: WriteStream | undefined;
  if (options.logFile) {
    log = createWriteStream(options.logFile, { flags: 'a' });
    log.on('error', () => undefined);
  }
  const onData = (chunk: Buffer) => {
    buffer = (buffer + chunk.toString('utf8')).slice(-1024 * 1024);
    log?.write(chunk);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = once(child, 'exit').then(([code, signal]) => {
    log?.end();
    return { code: code as number | null, signal: signal as NodeJS.Signals | null };
  });
  // A spawn failure (ENOENT) arrives as 'error' and then 'exit'; it must not go unhandled.
  child.on('error', (err) => {
    buffer += `\n${err.message}`;
  });
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  const stopTimeoutMs = options.stopTimeoutMs ?? 15_000;
  return {
    name: options.name,
    pid: child.pid ?? -1,
    child,
    output: () => buffer,
    exited,
    async stop(timeoutMs = stopTimeoutMs) {
      if (gone()) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
    async kill() {
      if (!gone()) child.kill('SIGKILL');
      return exited;
    },
  };
}

/** Runs a JVM to its end (a tool such as Kafka's storage format); throws with its output when it fails. */
export async function runJvm(options: JvmOptions, timeoutMs = 60_000): Promise<string> {
  const jvm = startJvm(options);
  const timer = setTimeout(() => jvm.child.kill('SIGKILL'), timeoutMs);
  const { code, signal } = await jvm.exited.finally(() => clearTimeout(timer));
  if (code !== 0)
    throw new Error(
      `${options.name} (${options.mainClass}) failed with ${signal ?? `exit code ${code}`}${
        signal === 'SIGKILL' ? ` after ${timeoutMs} ms` : ''
      }:\n${jvm.output().slice(-4000)}`,
    );
  return jvm.output();
}

/** Waits for `probe` while the JVM lives: a JVM that dies fails the wait at once with its output. */
export async function whileAlive<T>(jvm: JvmProcess, what: string, probe: Promise<T>): Promise<T> {
  const died = jvm.exited.then(({ code, signal }) => {
    throw new Error(
      `${jvm.name} exited (${signal ?? `code ${code}`}) before ${what}:\n${jvm.output().slice(-4000)}`,
    );
  });
  died.catch(() => undefined);
  return Promise.race([probe, died]);
}
