/**
 * Waits for `work` at most `ms`: true once it fulfilled, false when the time ran out first
 * (the work goes on; shutdown paths use this so a peer that never answers cannot hold a stop
 * forever). A rejection passes through. The timer is cleared either way, so a finished wait
 * keeps no process alive.
 */
export async function settledWithin(work: Promise<unknown> | undefined, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([Promise.resolve(work).then(() => true as const), gaveUp]);
  } finally {
    clearTimeout(timer);
  }
}
