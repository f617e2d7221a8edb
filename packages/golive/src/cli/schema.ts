/** `golive schema`: prints the JSON Schema of the config (default) or of the JSON report. */
import { builtinChecks } from '../checks/registry.ts';
import { configJsonSchema } from '../config/json-schema.ts';
import { UsageError } from '../core/errors.ts';
import { reportJsonSchema } from '../reporters/report-schema.ts';
import { parse } from './args.ts';
import type { CliCommand } from './io.ts';

/** The schema command. */
export const schemaCommand: CliCommand = {
  name: 'schema',
  summary: 'Print the JSON Schema of the config (or, with --report, of the JSON report)',
  help: `Usage: golive schema [--config | --report]

Prints a JSON Schema (draft 2020-12) on stdout:
  --config   the config file schema, every registered check kind's options included (default)
  --report   the JSON report schema (report.json)

Editors use the config schema for completion: "$schema": "./node_modules/golive/schema/config.schema.json".`,
  async run(argv, io) {
    const { values, positionals } = parse('schema', argv, { config: { type: 'boolean' }, report: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
    if (values.help) {
      io.stdout.write(`${schemaCommand.help}\n`);
      return 0;
    }
    const which = positionals[0] ?? (values.report ? 'report' : 'config');
    if (values.report && values.config) throw new UsageError('golive schema: choose --config or --report, not both');
    if (which !== 'config' && which !== 'report') throw new UsageError(`golive schema: unknown schema "${which}" (config or report)`);
    const schema = which === 'report' ? reportJsonSchema() : configJsonSchema(builtinChecks);
    io.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
    return 0;
  },
};
