#!/usr/bin/env -S TSX_DISABLE_CACHE=1 node --import tsx
import { Command } from 'commander';
import { ToolkitError } from '../lib/errors.ts';
import { shiftCommand } from '../strangler-proxy/cli/shift.ts';
import { registerCompare } from './cli/compare.ts';
import { registerHistory } from './cli/history.ts';
import { registerLoad } from './cli/load.ts';
import { registerMoveWrites } from './cli/move-writes.ts';
import { registerRehearse } from './cli/rehearse.ts';
import { registerStatus } from './cli/status.ts';
import { registerWriters } from './cli/writers.ts';

/**
 * The toolkit's command line (the package's `strangler` bin). Each command lives in its own
 * module and registers itself here; errors end as one clear line with their code, not a stack.
 */
const program = new Command('strangler')
  .description(
    'rehearse a strangler-fig migration: status, traffic shifts, comparisons, load and guided rehearsals',
  )
  .showHelpAfterError('(run npx strangler --help for the commands)');

registerStatus(program);
program.addCommand(shiftCommand());
registerCompare(program);
registerLoad(program);
registerRehearse(program);
registerWriters(program);
registerHistory(program);
registerMoveWrites(program);

program.parseAsync().catch((err: unknown) => {
  if (err instanceof ToolkitError) console.error(`strangler: ${err.code}: ${err.message}`);
  else console.error(`strangler: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
