import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { waitForHttp } from './net.ts';
import { supervisorFdEnv, supervisorPidEnv } from './supervisor-link.ts';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const exitWithParent = pathToFileURL(path.join(repoRoot, 'lib/exit-with-parent.ts')).href;

export interface ComponentProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Everything the process wrote, stdout and stderr interleaved (bounded to the last 1 MiB). */
  output(): string;
  /** Sends a signal and waits for the exit. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
  exited: Promise<number | null>;
}

export interface StartOptions {
  name: string;
  /** TypeScript entry point, relative to the repository root. */
  script: string;
  /** Flags for node itself (those NODE_OPTIONS refuses, such as --cpu-prof). */
  nodeArgs?: string[];
  args?: string[];
  env?: Record<string, string | undefined>;
  /** Health URL to poll before resolving. */
  readyUrl?: string;
  /** Or a line (substring) the process prints once it is ready. */
  readyLine?: string;
  readyTimeoutMs?: number;
  /** Write output through to this stream with a `[name]` prefix (npm start), else only keep it. */
  echo?: NodeJS.WritableStream;
  /** How each echoed line is shown (npm start on a terminal: human lines); as printed otherwise. */
  formatLine?: (line: string) => string;
  /**
   * Its own process group (npm start): a terminal's Ctrl-C, sent to the whole foreground group,
   * then reaches only the supervisor, which stops components in order.
   */
  detached?: boolean;
  /** Aborting before the process is ready stops it (SIGTERM, then SIGKILL after 10 s) and rejects. */
  signal?: AbortSignal;
}

/** The fd a child finds its end of the supervisor link on (lib/exit-with-parent.ts). */
const linkFd = 3;

/**
 * Starts a toolkit component as its own Node process (through tsx) and waits until it is
 * ready. Tests use this so that every server under test is a real, separate process. Every
 * component stops itself if its supervisor dies without stopping it, however early
 * (lib/exit-with-parent.ts): the child gets one end of a socket pair as fd 3, and the kernel
 * closes this process's end when it exits, SIGKILL included. No orphan keeps a port after a
 * killed test run or npm start.
 */
export async function startComponent(options: StartOptions): Promise<ComponentProcess> {
  const child = spawn(
    process.execPath,
    // tsx as a loader in this very process (not the tsx CLI, which forks a second node):
    // a signal, SIGKILL included, then reaches the component itself.
    [
      ...(options.nodeArgs ?? []),
      '--import',
      'tsx',
      '--import',
      exitWithParent,
      path.join(repoRoot, options.script),
      ...(options.args ?? []),
    ],
    {
      cwd: repoRoot,
      env: {
        ...process.env,
        // tsx writes its cache entries in place: a component killed mid-write (SIGKILL, a crash)
        // would leave an entry that loads as an empty module in every later start.
        TSX_DISABLE_CACHE: '1',
        ...options.env,
        [supervisorFdEnv]: String(linkFd),
        [supervisorPidEnv]: String(process.pid),
      },
      // fd 3: the supervisor link; we never write to it, its end-of-file is the message
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      detached: options.detached ?? false,
    },
  );
  let buffer = '';
  let lineWaiter: (() => void) | undefined;
  const format = options.formatLine ?? ((line: string) => line);
  // Per stream: a line cut between two chunks waits for its end (stdout and stderr interleave).
  const echoLines = (echo: NodeJS.WritableStream) => {
    let partial = '';
    return {
      write(text: string) {
        const lines = (partial + text).split('\n');
        partial = lines.pop()!.slice(-1024 * 1024);
        for (const line of lines) if (line) echo.write(`[${options.name}] ${format(line)}\n`);
      },
      flush() {
        if (partial) echo.write(`[${options.name}] ${format(partial)}\n`);
        partial = '';
      },
    };
  };
  const onOutput = (echo: ReturnType<typeof echoLines> | undefined) => (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    buffer = (buffer + text).slice(-1024 * 1024);
    echo?.write(text);
    if (lineWaiter && options.readyLine && buffer.includes(options.readyLine)) lineWaiter();
  };
  const echoes = options.echo ? [echoLines(options.echo), echoLines(options.echo)] : [];
  child.stdout!.on('data', onOutput(echoes[0]));
  child.stderr!.on('data', onOutput(echoes[1]));
  child.once('close', () => {
    for (const e of echoes) e.flush();
  });
  const link = child.stdio[linkFd] as (NodeJS.ReadableStream & { unref?: () => void }) | null;
  // Held open for the child's life (the kernel closes it when we exit), never keeping us alive.
  link?.on('error', () => {});
  link?.unref?.();
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  void exited.then(() => (link as { destroy?: () => void } | null)?.destroy?.());

  const handle: ComponentProcess = {
    name: options.name,
    child,
    output: () => buffer,
    exited,
    async stop(signal = 'SIGTERM', timeoutMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };

  const timeoutMs = options.readyTimeoutMs ?? 30_000;
  const died = exited.then((code) => {
    throw new Error(`${options.name} exited with code ${code} before it was ready:\n${buffer.slice(-4000)}`);
  });
  let ready: Promise<void> = Promise.resolve();
  if (options.readyUrl) ready = waitForHttp(options.readyUrl, timeoutMs);
  else if (options.readyLine) {
    ready = new Promise<void>((resolve, reject) => {
      if (buffer.includes(options.readyLine!)) return resolve();
      lineWaiter = resolve;
      setTimeout(
        () => reject(new Error(`${options.name} did not print "${options.readyLine}" in ${timeoutMs} ms`)),
        timeoutMs,
      ).unref();
    });
  }
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    if (!options.signal) return;
    onAbort = () => {
      void handle.stop();
      reject(new Error(`${options.name} was stopped before it was ready`));
    };
    if (options.signal.aborted) onAbort();
    else options.signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => {});
  try {
    await Promise.race([ready, died, aborted]);
  } catch (err) {
    if (!options.signal?.aborted) child.kill('SIGKILL');
    else await handle.exited; // stopped in order (SIGTERM first), as after a ready start
    throw err;
  } finally {
    if (onAbort) options.signal?.removeEventListener('abort', onAbort);
  }
  died.catch(() => {});
  return handle;
}
