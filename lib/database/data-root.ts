import path from 'node:path';
import { repoRoot } from '../component-process.ts';
import { envValue } from '../config.ts';

/**
 * The folder every component keeps its state under (`.data/` in the checkout unless
 * STRANGLER_DATA_DIR moves it): the private server, broker log, connector offsets, proxy state.
 */
export function dataRoot(): string {
  return envValue('STRANGLER_DATA_DIR') ?? path.join(repoRoot, '.data');
}
