/**
 * The CLI as a function: argv in, exit code out. It never exits (main.ts does); usage and config errors
 * print one clear message and give 2; only a bug (anything that is not a golive error) prints a stack (70).
 */
import { ERROR_CATALOGUE, isGoliveError } from '../core/errors.ts';
import { ExitCode } from '../core/exit-codes.ts';
import { Redactor } from '../core/redact.ts';
import { GOLIVE_VERSION } from '../core/version.ts';
import { COMMANDS } from './commands.ts';
import type { CliIo } from './io.ts';

/** `golive --help`. */
export function globalHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `golive ${GOLIVE_VERSION}: go-live readiness gate. Checks a running service and answers GO / NO-GO with evidence.

Usage: golive <command> [options]

Commands:
${lines.join('\n')}

Run "golive <command> --help" for the options of a command.
Global: --help, --version.
Exit codes: 0 GO · 1 NO-GO · 2 usage or config error · 3 INCONCLUSIVE · 70 internal error.`;
}

/** Runs the CLI and returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const redactor = Redactor.fromEnv(io.env);
  try {
    const [first, ...rest] = argv;
    if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
      const entry = first === 'help' && rest[0] ? COMMANDS[rest[0]] : undefined;
      if (entry) {
        io.stdout.write(`${(await entry.load()).help}\n`);
        return ExitCode.GO;
      }
      io.stdout.write(`${globalHelp()}\n`);
      return first === undefined ? ExitCode.USAGE : ExitCode.GO;
    }
    if (first === '--version' || first === '-V' || first === 'version') {
      io.stdout.write(`golive ${GOLIVE_VERSION}\n`);
      return ExitCode.GO;
    }
    const entry = COMMANDS[first];
    if (!entry) {
      // `golive https://x` is a common slip for `golive check https://x`.
      const hint = /^https?:\/\//.test(first) ? ` (did you mean "golive check ${first}"?)` : '';
      io.stderr.write(`golive: GOLIVE_ERR_USAGE: unknown command "${redactor.redact(first)}"${hint}; commands: ${Object.keys(COMMANDS).join(', ')}\n`);
      return ExitCode.USAGE;
    }
    const command = await entry.load();
    return await command.run([...rest], io);
  } catch (err) {
    if (isGoliveError(err) && err.isUsage) {
      io.stderr.write(`golive: ${err.code}: ${redactor.redact(err.message)}\n`);
      return ExitCode.USAGE;
    }
    if (isGoliveError(err) && ERROR_CATALOGUE[err.code].scope !== 'internal') {
      // A check-scope error escaping the runner is still not a crash of the user's making: report it plainly.
      io.stderr.write(`golive: ${err.code}: ${redactor.redact(err.message)}\n`);
      return ExitCode.INCONCLUSIVE;
    }
    const stack = err instanceof Error ? (err.stack ?? String(err)) : String(err);
    io.stderr.write(`golive: GOLIVE_ERR_INTERNAL: internal error (a bug in golive, please report it with this trace):\n${redactor.redact(stack)}\n`);
    return ExitCode.INTERNAL;
  }
}
