/** Names of golive's reporters (a module of its own: the CLI's argument parser needs them without the config schema). */
export const REPORTER_NAMES = ['console', 'json', 'text', 'junit', 'markdown', 'html'] as const;
/** Name of a reporter. */
export type ReporterName = (typeof REPORTER_NAMES)[number];
