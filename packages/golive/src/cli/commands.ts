/**
 * The command table: name → one-line summary and a loader. Commands load on demand so `golive --help` or
 * `golive load` does not pay for every other command's modules (the load engine keeps its process small).
 * A new command is one entry here; its file holds the parsing, help and behaviour. A test keeps each
 * summary equal to the command's own.
 */
import type { CliCommand } from './io.ts';

/** One entry of the command table. */
export interface CommandEntry {
  /** One line for `golive --help` (equal to the command's own `summary`). */
  summary: string;
  /** Loads the command's module. */
  load(): Promise<CliCommand>;
}

/** Every command of the CLI, in help order. */
export const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  check: {
    summary: 'Check a running service (recommended preset unless a config says otherwise)',
    load: async () => (await import('./check.ts')).checkCommand,
  },
  run: {
    summary: 'Run the stages of a config (or a preset) and decide GO / NO-GO',
    load: async () => (await import('./run.ts')).runCommand,
  },
  diff: {
    summary: 'Compare two reports (baseline, then run) and print each regression; exit 1 on a regression',
    load: async () => (await import('./diff.ts')).diffCommand,
  },
  init: {
    summary: 'Write a commented starter golive.config.mts (never overwrites)',
    load: async () => (await import('./init.ts')).initCommand,
  },
  schema: {
    summary: 'Print the JSON Schema of the config (or, with --report, of the JSON report)',
    load: async () => (await import('./schema.ts')).schemaCommand,
  },
  load: {
    summary: 'Send load (closed or open model) and print HDR latencies; --out writes a mergeable result file',
    load: async () => (await import('./load.ts')).loadCommand,
  },
  'load-check': {
    summary: 'Check a load result file against limits (total, dedup ratio, p95, error rate, thresholds)',
    load: async () => (await import('./load-check.ts')).loadCheckCommand,
  },
};
