/**
 * The error catalogue. Every error golive raises has a stable `code` (GOLIVE_ERR_...), documented in
 * docs/errors.md; a test keeps this catalogue and the docs in sync. Add new codes here, never inline.
 */

/** Where an error surfaces: as the CLI's exit status (usage/config), inside a check result, or as a bug. */
export type ErrorScope = 'usage' | 'check' | 'internal' | 'io';

/** Every error code with its scope and a one-line description (the docs repeat these). */
export const ERROR_CATALOGUE = {
  GOLIVE_ERR_USAGE: { scope: 'usage', description: 'Unknown command, flag or bad flag value.' },
  GOLIVE_ERR_NODE_VERSION: { scope: 'usage', description: 'The Node.js running golive is older than golive needs (22.19).' },
  GOLIVE_ERR_INVALID_URL: { scope: 'usage', description: 'The target URL is missing or is not an absolute http(s) URL.' },
  GOLIVE_ERR_CONFIG_NOT_FOUND: { scope: 'usage', description: 'The config file named does not exist.' },
  GOLIVE_ERR_CONFIG_LOAD: { scope: 'usage', description: 'The config file could not be read or parsed.' },
  GOLIVE_ERR_CONFIG_INVALID: { scope: 'usage', description: 'The config does not match the schema; the message names the path of each bad field and what was expected.' },
  GOLIVE_ERR_UNKNOWN_KIND: { scope: 'usage', description: 'A check names a kind that is not registered.' },
  GOLIVE_ERR_UNKNOWN_PRESET: { scope: 'usage', description: 'The preset named does not exist.' },
  GOLIVE_ERR_DEPENDENCY: { scope: 'usage', description: 'A dependsOn names an unknown check, a check in a later stage, or forms a cycle.' },
  GOLIVE_ERR_CHECK_OPTIONS: { scope: 'check', description: 'A check could not be evaluated because its options are unusable at run time.' },
  GOLIVE_ERR_MISSING_SECRET: { scope: 'check', description: 'A check needs a secret (environment variable) that is not set.' },
  GOLIVE_ERR_INSUFFICIENT_SAMPLES: { scope: 'check', description: 'Too few samples to evaluate a threshold; never treated as a pass.' },
  GOLIVE_ERR_MUTATION_REFUSED: {
    scope: 'check',
    description: 'A check that changes the target state was not run: the target is not managed, loopback or private and mutation was not allowed (allowMutation, --allow-mutation), or EXPECT_LIVE=1.',
  },
  GOLIVE_ERR_CHECK_CRASHED: { scope: 'check', description: 'A check threw an unexpected exception; the check is reported as error, the run goes on.' },
  GOLIVE_ERR_TARGET_START: { scope: 'check', description: 'The managed target process could not be started or never became ready.' },
  GOLIVE_ERR_REPORT_WRITE: { scope: 'io', description: 'An artifact could not be written; the exit code still reflects the verdict.' },
  GOLIVE_ERR_REPORT_READ: { scope: 'usage', description: 'A report to compare with (golive diff, --baseline) could not be read or is not a golive report.' },
  GOLIVE_ERR_HISTORY: { scope: 'io', description: 'The run history could not be fully updated, or a corrupt file in it was kept aside; the exit code still reflects the verdict.' },
  GOLIVE_ERR_INTERNAL: { scope: 'internal', description: 'A bug in golive (exit 70, stack printed).' },
} as const satisfies Record<string, { scope: ErrorScope; description: string }>;

/** A stable error code. */
export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** One invalid field of a config or options object. */
export interface FieldIssue {
  /** Dotted path of the field, e.g. `checks.canary.options.count`. */
  path: string;
  /** What was expected, e.g. `expected number, received string`. */
  message: string;
}

/** Base class of every golive error: a stable code, a message safe to show (redacted), optional details. */
export class GoliveError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GoliveError';
    this.code = code;
    this.details = options?.details;
  }
  /** Whether this error means "usage or config error" (exit 2). */
  get isUsage(): boolean {
    return ERROR_CATALOGUE[this.code].scope === 'usage';
  }
}

/** Bad command line: unknown command or flag, bad value. */
export class UsageError extends GoliveError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('GOLIVE_ERR_USAGE', message, options);
    this.name = 'UsageError';
  }
}

/** Invalid configuration: carries every bad field with its path. */
export class ConfigError extends GoliveError {
  readonly issues: FieldIssue[];
  constructor(
    message: string,
    issues: FieldIssue[] = [],
    code: Extract<ErrorCode, `GOLIVE_ERR_CONFIG_${string}` | 'GOLIVE_ERR_UNKNOWN_KIND' | 'GOLIVE_ERR_UNKNOWN_PRESET' | 'GOLIVE_ERR_DEPENDENCY' | 'GOLIVE_ERR_INVALID_URL'> = 'GOLIVE_ERR_CONFIG_INVALID',
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** Thrown inside a check when it cannot be evaluated; the runner turns it into an `error` result. */
export class CheckError extends GoliveError {
  constructor(
    code: Extract<ErrorCode, 'GOLIVE_ERR_CHECK_OPTIONS' | 'GOLIVE_ERR_MISSING_SECRET' | 'GOLIVE_ERR_INSUFFICIENT_SAMPLES' | 'GOLIVE_ERR_TARGET_START'>,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(code, message, options);
    this.name = 'CheckError';
  }
}

/** A report given to compare with cannot be read or is not a golive report (exit 2 in `golive diff`). */
export class ReportReadError extends GoliveError {
  constructor(message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super('GOLIVE_ERR_REPORT_READ', message, options);
    this.name = 'ReportReadError';
  }
}

/** Type guard for golive errors. */
export function isGoliveError(e: unknown): e is GoliveError {
  return e instanceof GoliveError;
}
