import net from 'node:net';

/** Asks the kernel for a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not read the port the kernel gave'));
      });
    });
  });
}

/** Resolves once `probe` succeeds, retrying every `intervalMs` until `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T>,
  { timeoutMs = 15_000, intervalMs = 50 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      return await probe();
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const reason = lastError instanceof Error ? lastError.message : String(lastError);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${reason}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Polls until `check` holds; the timeout's error names `what`. */
export function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<void> {
  return waitFor(
    what,
    async () => {
      if (!(await check())) throw new Error('not yet');
    },
    options,
  );
}

/** Resolves when an HTTP GET of `url` answers 2xx. */
export function waitForHttp(url: string, timeoutMs = 15_000): Promise<void> {
  return waitFor(
    url,
    async () => {
      const res = await fetch(url);
      await res.body?.cancel();
      if (!res.ok) throw new Error(`status ${res.status}`);
    },
    { timeoutMs },
  );
}

/** True when something accepts TCP connections at host:port. */
export function isListening(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
