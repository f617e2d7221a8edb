/**
 * golive's public API: define a config or a check kind, resolve and run a gate, render its report.
 * Everything else is internal. (Other parts of the project append their exports below.)
 */
import { builtinChecks } from './checks/registry.ts';
import type { CheckDefinition } from './checks/types.ts';
import { configJsonSchema as jsonSchemaFor } from './config/json-schema.ts';
import { type ResolveInput, type ResolvedConfig, resolveConfig as resolveConfigLayers } from './config/resolve.ts';
import { buildConfigSchema as buildSchemaFor } from './config/schema.ts';

export { defineCheck, mutatesTarget, observe } from './checks/types.ts';
export type { ArtifactSink, CheckContext, CheckDefinition, CheckOutcome, Clock, ProgressEvent } from './checks/types.ts';
export type {
  CheckData,
  GateEndOutcome,
  GateHookContext,
  KindEnvVariable,
  ManagedTargetHandle,
  MetricSpec,
  TargetEnvChanges,
  TargetExit,
  TargetStartResult,
} from './checks/types.ts';
export { builtinChecks, findCheck } from './checks/registry.ts';
export { defineConfig } from './config/resolve.ts';
export type { CliOverrides, ResolveInput, ResolvedConfig, ResolvedStage } from './config/resolve.ts';
export type { CheckConfig, GoliveConfig, StageConfig, TargetConfig } from './config/schema.ts';
export type { CompatChecks, Preset } from './presets/index.ts';
export type { Plot, PlotAxis, PlotPoint, PlotSeries, Presentation, PresentationTable } from './core/result.ts';

/** Resolves a config from its layers (see `ResolveInput`); `kinds` adds user kinds to the built-ins. */
export function resolveConfig(input: Omit<ResolveInput, 'kinds'> & { kinds?: readonly CheckDefinition[] }): ResolvedConfig {
  return resolveConfigLayers({ ...input, kinds: [...(input.kinds ?? []), ...builtinChecks] });
}

/** The full config schema for the built-in kinds and any user kinds. */
export function buildConfigSchema(kinds: readonly CheckDefinition[] = []): ReturnType<typeof buildSchemaFor> {
  return buildSchemaFor([...kinds, ...builtinChecks]);
}

/** The config's JSON Schema for the built-in kinds and any user kinds. */
export function configJsonSchema(kinds: readonly CheckDefinition[] = []): Record<string, unknown> {
  return jsonSchemaFor([...kinds, ...builtinChecks]);
}
export { loadConfigFile, findConfigFile } from './config/load.ts';
export { PRESETS, presetNames } from './presets/index.ts';
export { runGate } from './runner/run-gate.ts';
export type { RunGateOptions } from './runner/run-gate.ts';
export { runCheck } from './runner/run-check.ts';
export type { RunEvent, RunEventListener } from './runner/events.ts';
export { GOLIVE_VERSION } from './core/version.ts';
export { writeReports, renderConsole, renderJson, renderJunit, renderMarkdown, renderText, renderStage3, renderStage4 } from './reporters/index.ts';
export { reportJsonSchema, reportSchema } from './reporters/report-schema.ts';
export { ERROR_CATALOGUE, CheckError, ConfigError, GoliveError, UsageError, isGoliveError } from './core/errors.ts';
export type { ErrorCode, FieldIssue } from './core/errors.ts';
export { ExitCode, exitCodeForVerdict } from './core/exit-codes.ts';
export { REPORT_SCHEMA_VERSION, computeVerdict, allChecks } from './core/result.ts';
export type { CheckResult, CheckStatus, Json, Level, Observation, Report, StageResult, Totals, Verdict } from './core/result.ts';
export { Redactor } from './core/redact.ts';
export { percentile, parsePercentile } from './core/percentiles.ts';
// Security analysers: pure functions over recorded responses, no network (CSP, headers, cookies, CORS, grades).
export {
  analyzeCookies,
  analyzeCors,
  analyzeCsp,
  analyzeHeaders,
  analyzeResponses,
  evaluateGate,
  GRADES,
  gradeOf,
  isLoopbackHost,
  OBSERVATORY_TESTS,
  parseCsp,
  parseHsts,
  parseSetCookie,
  SCORE_TABLE,
  scoreOf,
} from './analysers/index.ts';
export type {
  AnalyzeInput,
  CorsProbeRecord,
  CspPolicy,
  CspSummary,
  Finding,
  GateItem,
  GatePolicy,
  Grade,
  MultiAnalysis,
  ObservatoryTest,
  RecordedResponse,
  RedirectionRecord,
  SecurityAnalysis,
  TestResult,
  Waiver,
} from './analysers/index.ts';
export { exposureCheck, SENSITIVE_PATHS } from './checks/exposure.ts';
export { securityHeadersCheck } from './checks/security-headers.ts';
export { tlsCheck } from './checks/tls.ts';
export { canaryCheck } from './checks/canary.ts';
export { commandCheck, parseJunit } from './checks/command.ts';
export type { JunitSummary } from './checks/command.ts';
export { classifyHealthBody, healthCheck } from './checks/health.ts';
export type { HealthMeaning, HealthVerdict } from './checks/health.ts';
export { httpCheck } from './checks/http.ts';
export { evaluateProviders, providerConfigCheck } from './checks/provider-config.ts';
// Load engine: closed/open models, HDR latencies, scenarios with key pools and signing, mergeable results.
export { loadCheck, resultFileText, runLoadTest } from './checks/load.ts';
export type { LoadCheckOptions, LoadTestDeps, LoadTestOutcome } from './checks/load.ts';
export { runLoad } from './load/run.ts';
export { heapTuningDefault, setHeapTuningDefault } from './load/heap.ts';
export { createSigner, signTemplateProblems } from './load/signing.ts';
export type { SignTemplate } from './load/signing.ts';
export type { LoadRunOptions } from './load/run.ts';
export type { ModelOptions, ProgressSnapshot } from './load/engine.ts';
export { LOAD_RESULT_FORMAT, LOAD_RESULT_VERSION, mergeResults } from './load/result.ts';
export type { LoadResult, LoadModel, DedupVerification } from './load/result.ts';
export { checkResult, parseResultFile } from './load/check-result.ts';
export type { ResultCheckLine, ResultLimits } from './load/check-result.ts';
export { parseThreshold } from './load/thresholds.ts';
export type { ScenarioSpec, RequestTemplate } from './load/scenario.ts';
