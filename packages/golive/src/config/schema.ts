/**
 * The config schema. The shape is fixed here; the `options` of each check entry is validated by the schema of
 * its kind, so the full schema is built from the registry (`buildConfigSchema`). Static types come from the
 * generic shape (`options` as a record), which is what `defineConfig` users write.
 */
import { z } from 'zod';
import type { CheckDefinition } from '../checks/types.ts';
// CR/LF in a header value is refused at load: one rule (core) for target and check headers.
import { HEADER_VALUE_PROBLEM, isSendableHeaderValue } from '../core/header-value.ts';
import { REPORTER_NAMES, type ReporterName } from './reporters.ts';

/** Default whole-exchange timeout of a request to the target (the seed's S4_TIMEOUT default: 5 s). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 5000;
/** Default timeout of one check when neither config nor kind sets one. */
export const DEFAULT_CHECK_TIMEOUT_MS = 30_000;
/** Default time a managed target gets to answer its ready URL. */
export const DEFAULT_START_TIMEOUT_MS = 30_000;
/** Default directory of golive's own reports. */
export const DEFAULT_OUT_DIR = 'golive-report';

/** Names of the file and console reporters. */
export { REPORTER_NAMES, type ReporterName };

/** Seed-compatible artifact sets. */
export const COMPAT_NAMES = ['stage3', 'stage4'] as const;

const levelSchema = z.enum(['error', 'warn', 'off']).describe('error gates the verdict, warn is reported only, off is not run');

/** Default number of runs a history keeps (`history.keep`). */
export const DEFAULT_HISTORY_KEEP = 100;

/** A run history: a directory of run files, history.json and index.html (docs/history.md). */
export const historySchema = z
  .object({
    dir: z.string().min(1).describe('Directory of the run history (runs/<runId>.json, history.json, index.html); relative to the current directory.'),
    keep: z.number().int().positive().default(DEFAULT_HISTORY_KEEP).describe('How many runs the history keeps (the oldest are pruned).'),
  })
  .strict();

/** The comparison of a run with a baseline report (docs/history.md). */
export const baselineSchema = z
  .object({
    from: z
      .string()
      .min(1)
      .optional()
      .describe('A report.json, or a history directory whose last GO run is used (default: the last GO run of `history`).'),
    level: levelSchema.default('warn').describe('Level of the baseline results: error gates on a regression, warn reports it, off compares nothing.'),
  })
  .strict();

const idSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]*$/i, 'expected an id of letters, digits, ".", "_" or "-"')
  .max(80);

/** A managed target: a command golive starts, waits for and stops. */
export const startSchema = z
  .object({
    command: z
      .union([z.string().min(1), z.array(z.string()).min(1)])
      .describe('Command to start the service: a string run by the shell, or an argv array run without one.'),
    cwd: z.string().optional().describe('Working directory (default: the current directory).'),
    env: z.record(z.string(), z.string()).default({}).describe('Extra environment variables for the process.'),
    readyUrl: z
      .string()
      .optional()
      .describe('URL or path (against baseUrl) that must answer 2xx before checks run (default: /health).'),
    timeoutMs: z.number().int().positive().default(DEFAULT_START_TIMEOUT_MS).describe('How long the target gets to become ready.'),
    stopTimeoutMs: z.number().int().positive().default(5000).describe('Grace between SIGTERM and SIGKILL when stopping.'),
  })
  .strict();

/** The target: where checks send requests. */
export const targetSchema = z
  .object({
    baseUrl: z
      .string()
      .optional()
      .describe('Absolute http(s) URL of the service. With `start` and no baseUrl, the first URL the process prints is used.'),
    headers: z.record(z.string(), z.string().refine(isSendableHeaderValue, HEADER_VALUE_PROBLEM)).default({}).describe('Headers sent with every request (e.g. Authorization); their values are redacted.'),
    timeoutMs: z.number().int().positive().default(DEFAULT_REQUEST_TIMEOUT_MS).describe('Timeout of one request (connect, headers and body).'),
    tls: z
      .object({
        rejectUnauthorized: z.boolean().default(true).describe('Verify the server certificate.'),
        ca: z.union([z.string(), z.array(z.string())]).optional().describe('Extra CA certificates (PEM).'),
      })
      .strict()
      .prefault({}),
    start: startSchema.optional().describe('Start the service before the checks and stop it afterwards.'),
  })
  .strict();

/** A stage: an ordered group of checks with a fail policy. */
export const stageSchema = z
  .object({
    name: idSchema.describe('Stage name (e.g. smoke, go-live).'),
    checks: z.array(idSchema).default([]).describe('Ids of the checks of this stage, in run order.'),
    failPolicy: z
      .enum(['fail-fast', 'continue'])
      .default('continue')
      .describe('fail-fast: an error-level fail or error stops this stage and every later stage; continue: run on.'),
  })
  .strict();

function entryFields<O extends z.ZodType>(kind: z.ZodType, options: O) {
  return {
    kind,
    level: levelSchema.default('error'),
    title: z.string().optional().describe('Human title (default: the kind title).'),
    timeoutMs: z.number().int().positive().optional().describe('Timeout of the whole check (default: the kind default).'),
    dependsOn: z.array(idSchema).default([]).describe('Checks that must pass first; otherwise this check is skipped.'),
    options,
  };
}

/** A check entry with unvalidated options (the static shape `defineConfig` accepts). */
export const genericCheckSchema = z
  .object(entryFields(z.string().describe('Check kind.'), z.record(z.string(), z.unknown()).optional()))
  .strict();

function checkEntrySchema(kinds: readonly CheckDefinition[]): z.ZodType {
  const variants = kinds.map((def) =>
    z
      .object(
        entryFields(
          z.literal(def.kind).describe(def.description),
          (def.options as z.ZodType<unknown, object>).prefault({}).describe(`Options of a ${def.kind} check.`),
        ),
      )
      .strict()
      .describe(def.title),
  );
  if (variants.length === 0) return genericCheckSchema;
  if (variants.length === 1) return variants[0] as z.ZodType;
  return z.discriminatedUnion('kind', variants as unknown as [z.ZodObject, z.ZodObject, ...z.ZodObject[]]);
}

function configFields(check: z.ZodType) {
  return {
    $schema: z.string().optional(),
    preset: z.string().optional().describe('Preset the config extends (recommended, contracts, stage3, stage4).'),
    target: targetSchema.prefault({}),
    checks: z.record(idSchema, check).default({}).describe('Checks by id.'),
    stages: z
      .array(stageSchema)
      .optional()
      .describe('Ordered stages. Default: one stage "go-live" with every check. Checks named by no stage join the last one.'),
    out: z.string().optional().describe(`Directory of golive's reports (default ${DEFAULT_OUT_DIR}).`),
    reporters: z.array(z.enum(REPORTER_NAMES)).optional().describe('Reporters to run (default: all).'),
    compat: z
      .enum(COMPAT_NAMES)
      .optional()
      .describe('Also write the seed artifacts of stage3 or stage4 (qa/stage*/...); default: the preset of the same name.'),
    secrets: z.array(z.string()).default([]).describe('Extra environment variable names whose values are redacted everywhere.'),
    label: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('Run label: what was run, as named in a run history (default: the source, plus the stages --stage selected).'),
    release: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('Release (version) of the target (default: `git describe --always --dirty` when run in a git repository).'),
    history: historySchema.optional().describe('Write each run into a run history (docs/history.md).'),
    baseline: baselineSchema.optional().describe('Compare the run with a baseline report (docs/history.md).'),
    allowMutation: z
      .boolean()
      .default(false)
      .describe(
        'Let checks that change the target state (contract probes, a POST load) run against a target that is not managed by golive nor on a loopback or private address. Never with EXPECT_LIVE=1.',
      ),
  };
}

/** The static config schema (options unvalidated): the source of the exported config types. */
export const genericConfigSchema = z.object(configFields(genericCheckSchema)).strict();

/** What a user writes (`golive.config.ts`, YAML, JSON). */
export type GoliveConfig = z.input<typeof genericConfigSchema>;
/** One check entry as written. */
export type CheckConfig = z.input<typeof genericCheckSchema>;
/** One stage as written. */
export type StageConfig = z.input<typeof stageSchema>;
/** The target as written. */
export type TargetConfig = z.input<typeof targetSchema>;
/** A check entry after validation (defaults applied, options validated by the kind). */
export type CheckSpec = z.output<typeof genericCheckSchema> & { options: unknown };
/** The config after validation. */
export type ParsedConfig = Omit<z.output<typeof genericConfigSchema>, 'checks'> & { checks: Record<string, CheckSpec> };

/** Builds the full config schema: each check's options validated by its kind (discriminated on `kind`). */
export function buildConfigSchema(kinds: readonly CheckDefinition[]): z.ZodType<ParsedConfig, unknown> {
  return z.object(configFields(checkEntrySchema(kinds))).strict() as unknown as z.ZodType<ParsedConfig, unknown>;
}
