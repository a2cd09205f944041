import net from 'node:net';

function kernelPort(): Promise<number> {
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

/**
 * Ports this process handed out. The kernel may give a port again as soon as its probe socket
 * closed, so two asks before anything binds (a system's ports, a cluster's) can get the same
 * one, and one of the two components then fails to bind.
 */
const handedOut = new Set<number>();
const rememberedPorts = 20_000;

/** Asks the kernel for a free TCP port on 127.0.0.1, never one this process handed out before. */
export async function freePort(): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const port = await kernelPort();
    // A range nearly used up by this process alone: take the kernel's answer as it is.
    if (!handedOut.has(port) || attempt >= 50) {
      handedOut.add(port);
      if (handedOut.size > rememberedPorts) handedOut.delete(handedOut.values().next().value!);
      return port;
    }
  }
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
