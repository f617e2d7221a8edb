/** `golive check [url]`: check a running service with the recommended preset (or the config found). */
import { GATE_OPTIONS, GATE_OPTIONS_HELP, parse } from './args.ts';
import { executeGate, resolveFromFlags } from './gate.ts';
import type { CliCommand } from './io.ts';
import { UsageError } from '../core/errors.ts';

/** The check command. */
export const checkCommand: CliCommand = {
  name: 'check',
  summary: 'Check a running service (recommended preset unless a config says otherwise)',
  help: `Usage: golive check [url] [options]

Checks the service at <url> (or target.baseUrl, GOLIVE_BASE_URL, PROD_URL, OI_BASE_URL) and answers
GO (exit 0), NO-GO (1) or INCONCLUSIVE (3). Without a config file the recommended preset runs:
health, canary, security-headers, and provider-config as a warning.

${GATE_OPTIONS_HELP}

Examples:
  golive check https://staging.example.com
  golive check http://127.0.0.1:8000 --preset stage4 --timeout 5s
  PROD_URL=https://example.com golive check --reporter console,json`,
  async run(argv, io) {
    const { values, positionals } = parse('check', argv, GATE_OPTIONS);
    if (values.help) {
      io.stdout.write(`${checkCommand.help}\n`);
      return 0;
    }
    if (positionals.length > 1) throw new UsageError(`golive check takes at most one URL, got ${positionals.length} arguments`);
    if (values.url !== undefined && positionals[0] !== undefined && values.url !== positionals[0]) {
      throw new UsageError('conflicting target URLs: the argument and --url differ (give one of them)');
    }
    const url = values.url ?? positionals[0];
    const config = await resolveFromFlags({ ...values, url }, io, { defaultPreset: 'recommended' });
    return executeGate(config, values, io);
  },
};
