/**
 * The command table: name → command. A new command is one import and one entry here (its file holds the
 * parsing, help and behaviour).
 */
import { checkCommand } from './check.ts';
import { initCommand } from './init.ts';
import type { CliCommand } from './io.ts';
import { loadCommand } from './load.ts';
import { loadCheckCommand } from './load-check.ts';
import { runCommand } from './run.ts';
import { schemaCommand } from './schema.ts';

/** Every command of the CLI, in help order. */
export const COMMANDS: Readonly<Record<string, CliCommand>> = {
  check: checkCommand,
  run: runCommand,
  init: initCommand,
  schema: schemaCommand,
  load: loadCommand,
  'load-check': loadCheckCommand,
};
