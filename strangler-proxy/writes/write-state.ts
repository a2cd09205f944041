import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ProxyError } from '../errors.ts';

/**
 * Where a route's writes go (`legacy` until a write switch moves them) and whether they are
 * held. The side is durable: the primary keeps it in `<data>/write-sides.json`, beside the
 * local flag file, and every serving process reads that file when it starts. A hold is not:
 * a proxy that restarts mid-switch comes back with no hold and the side the file names.
 */
export const writeSides = ['legacy', 'new'] as const;
export type WriteSide = (typeof writeSides)[number];

export interface WriteHold {
  id: string;
  /** How long the hold may last, from when a process got it; past it the process lets the writes go. */
  boundMs: number;
}

export interface WriteRouteState {
  side: WriteSide;
  hold: WriteHold | null;
}

/** Per route id; a route not listed has its writes on legacy and not held. */
export type WriteStates = Record<string, WriteRouteState>;

/** What one serving process counts per route, summed across workers by the primary. */
export interface WriteCounts {
  /** Writes sent to each side whose answer is not over yet. */
  inFlight: { legacy: number; new: number };
  /** Writes waiting in the hold now. */
  held: number;
  /** Per hold id: writes that waited in it, and the longest wait (ms). */
  holds: Record<string, { writes: number; maxWaitMs: number }>;
}

export function emptyCounts(): WriteCounts {
  return { inFlight: { legacy: 0, new: 0 }, held: 0, holds: {} };
}

const fileSchema = z
  .object({
    version: z.literal(1),
    routes: z.record(z.string(), z.enum(writeSides)),
  })
  .strict();

export function writeSidesFile(dataDir: string): string {
  return path.join(dataDir, 'write-sides.json');
}

/** The route sides the file keeps; an absent file is every route on legacy. */
export async function readWriteSides(file: string): Promise<Record<string, WriteSide>> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new ProxyError(
      'PROXY_ERR_WRITE_SIDES_INVALID',
      `${file} is not JSON: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success)
    throw new ProxyError(
      'PROXY_ERR_WRITE_SIDES_INVALID',
      `${file} is not a write-sides file ({"version": 1, "routes": {"products": "new"}}): ${parsed.error.issues
        .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
        .join('; ')}`,
    );
  return parsed.data.routes;
}

/** Written atomically (temp + rename): a crash leaves the old file or the new one, never half. */
export async function writeWriteSides(file: string, routes: Record<string, WriteSide>): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await fs.writeFile(tmp, `${JSON.stringify({ version: 1, routes }, null, 2)}\n`);
  await fs.rename(tmp, file);
}

/** The states a serving process starts with: the durable sides, nothing held. */
export function statesOf(sides: Record<string, WriteSide>): WriteStates {
  return Object.fromEntries(Object.entries(sides).map(([id, side]) => [id, { side, hold: null }]));
}
