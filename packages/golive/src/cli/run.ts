/** `golive run`: run the configured stages in order (a config file or a preset is required). */
import { GATE_OPTIONS, GATE_OPTIONS_HELP, parse } from './args.ts';
import { executeGate, resolveFromFlags } from './gate.ts';
import type { CliCommand } from './io.ts';
import { UsageError } from '../core/errors.ts';

/** The run command. */
export const runCommand: CliCommand = {
  name: 'run',
  summary: 'Run the stages of a config (or a preset) and decide GO / NO-GO',
  help: `Usage: golive run [options]

Runs every stage of the config in order (e.g. smoke → go-live → release gate): dependsOn skips,
fail-fast or continue per stage, one verdict and one exit code for the whole pipeline.

${GATE_OPTIONS_HELP}

Examples:
  golive run --config golive.config.ts
  golive run --preset stage4                       # PROD_URL, HEALTH_URL, EXPECT_LIVE ... from the environment
  golive run --config golive.config.yaml --stage smoke --out artifacts/`,
  async run(argv, io) {
    const { values, positionals } = parse('run', argv, GATE_OPTIONS);
    if (values.help) {
      io.stdout.write(`${runCommand.help}\n`);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`golive run takes no arguments (got "${positionals[0]}"); use --url for the target`);
    const config = await resolveFromFlags(values, io, { requireConfig: true });
    return executeGate(config, values, io);
  },
};
