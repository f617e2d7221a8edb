/**
 * Resolving a config: layers merged with the precedence CLI flags > environment > config file > preset,
 * then validated once by the registry-built schema, then checked for cross-field consistency (stages name
 * existing checks, dependsOn points backwards, the target URL is usable). Every problem found is reported
 * at once, each with the dotted path of the field and what was expected.
 */
import type { z } from 'zod';
import type { CheckDefinition } from '../checks/types.ts';
import { ConfigError, type FieldIssue } from '../core/errors.ts';
import { type Env, kindEnvOptions, normaliseEnv, readEnvOverrides } from './env.ts';
import { buildPreset, type CompatChecks, compatChecksOf, PRESETS } from '../presets/index.ts';
import { buildConfigSchema, type CheckSpec, type GoliveConfig, type ParsedConfig } from './schema.ts';

/** Overrides from command-line flags (the highest layer). */
export interface CliOverrides {
  baseUrl?: string;
  timeoutMs?: number;
  preset?: string;
  out?: string;
  reporters?: string[];
  /** Extra target headers (`-H 'Name: value'`). */
  headers?: Record<string, string>;
  /** TLS trust from `--ca FILE` (PEM text) and `--insecure`. */
  tls?: { ca?: string; rejectUnauthorized?: boolean };
  /** `--allow-mutation`. */
  allowMutation?: boolean;
  /** `--label`, `--release`. */
  label?: string;
  release?: string;
  /** `--history DIR`. */
  historyDir?: string;
  /** `--baseline FILE|DIR`, `--baseline-level`. */
  baselineFrom?: string;
  baselineLevel?: string;
}

/** Input of `resolveConfig`. */
export interface ResolveInput {
  /** The loaded config file (unvalidated), if any. */
  file?: unknown;
  /** Where the file came from, for messages and the report's `source`. */
  fileName?: string;
  /** The environment, read once. */
  env?: Env;
  cli?: CliOverrides;
  /** Preset used when no layer names one (`golive check` uses `recommended`). */
  defaultPreset?: string;
  /**
   * Every check kind the config may use (the built-ins and any user kinds): the caller hands them over, so the
   * config layer knows no kind of its own. Earlier entries win over later ones of the same kind.
   */
  kinds: readonly CheckDefinition[];
  /** Require a usable target URL (or a managed target); default true. */
  requireTarget?: boolean;
}

/** A stage after resolution: every check id exists and is in exactly one stage. */
export interface ResolvedStage {
  name: string;
  checks: string[];
  failPolicy: 'fail-fast' | 'continue';
}

const RESOLVED = Symbol.for('golive.resolved-config');

/** A validated config, ready for `runGate`. */
export interface ResolvedConfig extends Omit<ParsedConfig, 'stages'> {
  stages: ResolvedStage[];
  /** The preset the config extends, if any. */
  preset?: string;
  /** Human description of where the config came from (file and/or preset). */
  source: string;
  /** With `compat`: the check id behind each field of the seed artifacts (owned by the seed preset). */
  compatChecks?: CompatChecks;
  /** Kinds available to this config (as handed to `resolveConfig`). */
  kinds: readonly CheckDefinition[];
}

/** Whether a value is a config already resolved by `resolveConfig`. */
export function isResolvedConfig(value: unknown): value is ResolvedConfig {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[RESOLVED] === true;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Paths of `__proto__` keys anywhere in a config file. JSON and YAML parsers keep such a key as an own property,
 * but merging layers assigns it, which sets the object's prototype and silently drops the entry: refused
 * instead, naming the field. Iterative, so a deeply nested file cannot overflow the stack.
 */
export function protoKeyPaths(value: unknown): string[] {
  const found: string[] = [];
  const stack: Array<[unknown, string]> = [[value, '']];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const [v, path] = stack.pop() as [unknown, string];
    if (typeof v !== 'object' || v === null || seen.has(v)) continue;
    seen.add(v);
    for (const key of Object.keys(v)) {
      const p = path ? `${path}.${key}` : key;
      if (key === '__proto__') found.push(p);
      else stack.push([(v as Record<string, unknown>)[key], p]);
    }
  }
  return found.sort();
}

/** Merges a higher config layer onto a lower one: targets deep, checks by id (options shallow), stages replaced. */
export function mergeConfigs(lower: Obj, higher: Obj): Obj {
  const out: Obj = { ...lower };
  for (const [key, value] of Object.entries(higher)) {
    if (value === undefined) continue;
    const prev = out[key];
    if (key === 'target' && isObj(prev) && isObj(value)) {
      const t: Obj = { ...prev, ...value };
      if (isObj(prev.headers) && isObj(value.headers)) t.headers = { ...prev.headers, ...value.headers };
      if (isObj(prev.tls) && isObj(value.tls)) t.tls = { ...prev.tls, ...value.tls };
      out.target = t;
    } else if (key === 'checks' && isObj(prev) && isObj(value)) {
      const checks: Obj = { ...prev };
      for (const [id, entry] of Object.entries(value)) {
        const before = checks[id];
        if (isObj(before) && isObj(entry) && (entry.kind === undefined || entry.kind === before.kind)) {
          const merged: Obj = { ...before, ...entry };
          if (isObj(before.options) && isObj(entry.options)) merged.options = { ...before.options, ...entry.options };
          checks[id] = merged;
        } else {
          checks[id] = entry;
        }
      }
      out.checks = checks;
    } else if (key === 'secrets' && Array.isArray(prev) && Array.isArray(value)) {
      out.secrets = [...prev, ...value];
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** Formats zod issues as dotted paths and what was expected. */
export function issuesFromZod(error: z.ZodError): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of error.issues) {
    const path = issue.path.map(String).join('.') || '(root)';
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') message = `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    if (issue.code === 'invalid_union' && 'options' in issue && Array.isArray(issue.options)) {
      message = `expected one of ${issue.options.map((o) => JSON.stringify(o)).join(', ')}`;
    }
    if (issue.code === 'invalid_value' && issue.values.length > 1) {
      message = `expected one of ${issue.values.map((o) => JSON.stringify(o)).join(', ')}`;
    }
    out.push({ path, message });
  }
  return out;
}

/** One message naming every issue. */
export function formatIssues(title: string, issues: readonly FieldIssue[]): string {
  return [title, ...issues.map((i) => `  - ${i.path}: ${i.message}`)].join('\n');
}

/** Validates an absolute http(s) URL; returns a reason when it is not one. */
export function urlProblem(value: string): string | undefined {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return `"${value}" is not an absolute URL (expected e.g. https://example.com)`;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `"${value}" is not an http(s) URL`;
  return undefined;
}

/** Sets options on every check whose kind has some in `byKind`. */
function setOptions(checks: Obj, byKind: ReadonlyMap<string, Readonly<Record<string, unknown>>>): void {
  for (const [id, entry] of Object.entries(checks)) {
    if (!isObj(entry) || typeof entry.kind !== 'string') continue;
    const values = byKind.get(entry.kind);
    if (values && Object.keys(values).length > 0) checks[id] = { ...entry, options: { ...(isObj(entry.options) ? entry.options : {}), ...values } };
  }
}

function applyEnvAndCli(merged: Obj, env: Env, cli: CliOverrides, kinds: readonly CheckDefinition[]): Obj {
  const fromEnv = readEnvOverrides(env);
  const target: Obj = isObj(merged.target) ? { ...merged.target } : {};
  const checks: Obj = isObj(merged.checks) ? { ...merged.checks } : {};
  if (fromEnv.baseUrl) target.baseUrl = fromEnv.baseUrl;
  // The kinds' own variables (HEALTH_URL on health and canary, ...), then the target-level request timeout on
  // the option each kind names for it: both with the environment's precedence over the file.
  setOptions(checks, kindEnvOptions(env, kinds));
  const timeoutMs = cli.timeoutMs ?? fromEnv.timeoutMs;
  if (timeoutMs) {
    target.timeoutMs = timeoutMs;
    const byKind = new Map<string, Record<string, unknown>>();
    for (const def of kinds) if (def.requestTimeoutOption) byKind.set(def.kind, { [def.requestTimeoutOption]: timeoutMs });
    setOptions(checks, byKind);
  }
  // The seed derives everything from HEALTH_URL when PROD_URL is absent.
  if (fromEnv.healthUrl && !target.baseUrl && !urlProblem(fromEnv.healthUrl)) target.baseUrl = new URL('/', fromEnv.healthUrl).href;
  const out: Obj = { ...merged, target, checks };
  if (fromEnv.out) out.out = fromEnv.out;
  if (fromEnv.reporters) out.reporters = fromEnv.reporters;
  if (cli.baseUrl !== undefined) target.baseUrl = cli.baseUrl;
  if (cli.headers) target.headers = { ...(isObj(target.headers) ? target.headers : {}), ...cli.headers };
  if (cli.tls) target.tls = { ...(isObj(target.tls) ? target.tls : {}), ...cli.tls };
  if (cli.out !== undefined) out.out = cli.out;
  if (cli.allowMutation) out.allowMutation = true;
  if (cli.reporters !== undefined) out.reporters = cli.reporters;
  const label = cli.label ?? fromEnv.label;
  if (label !== undefined) out.label = label;
  const release = cli.release ?? fromEnv.release;
  if (release !== undefined) out.release = release;
  // history and baseline are objects: a flag or variable sets one field and keeps the file's others.
  const historyDir = cli.historyDir ?? fromEnv.historyDir;
  if (historyDir !== undefined || fromEnv.historyKeep !== undefined) {
    const history: Obj = isObj(out.history) ? { ...out.history } : {};
    if (historyDir !== undefined) history.dir = historyDir;
    if (fromEnv.historyKeep !== undefined) history.keep = fromEnv.historyKeep;
    out.history = history;
  }
  const baselineFrom = cli.baselineFrom ?? fromEnv.baselineFrom;
  const baselineLevel = cli.baselineLevel ?? fromEnv.baselineLevel;
  if (baselineFrom !== undefined || baselineLevel !== undefined) {
    const baseline: Obj = isObj(out.baseline) ? { ...out.baseline } : {};
    if (baselineFrom !== undefined) baseline.from = baselineFrom;
    if (baselineLevel !== undefined) baseline.level = baselineLevel;
    out.baseline = baseline;
  }
  return out;
}

function checkKinds(merged: Obj, kinds: readonly CheckDefinition[]): FieldIssue[] {
  const known = kinds.map((k) => k.kind);
  const issues: FieldIssue[] = [];
  if (!isObj(merged.checks)) return issues;
  for (const [id, entry] of Object.entries(merged.checks)) {
    if (!isObj(entry)) continue;
    if (typeof entry.kind === 'string' && !known.includes(entry.kind)) {
      issues.push({
        path: `checks.${id}.kind`,
        message: `unknown kind "${entry.kind}" (registered: ${known.length ? known.join(', ') : 'none'})`,
      });
    }
  }
  return issues;
}

function resolveStages(parsed: ParsedConfig, issues: FieldIssue[]): ResolvedStage[] {
  const ids = Object.keys(parsed.checks);
  const declared = parsed.stages ?? [{ name: 'go-live', checks: [], failPolicy: 'continue' as const }];
  const seenStage = new Set<string>();
  const placed = new Map<string, string>();
  const stages: ResolvedStage[] = declared.map((s, i) => {
    if (seenStage.has(s.name)) issues.push({ path: `stages.${i}.name`, message: `duplicate stage name "${s.name}"` });
    seenStage.add(s.name);
    const checks: string[] = [];
    s.checks.forEach((id, j) => {
      if (!parsed.checks[id]) issues.push({ path: `stages.${i}.checks.${j}`, message: `no check with id "${id}" (checks: ${ids.join(', ') || 'none'})` });
      else if (placed.has(id)) issues.push({ path: `stages.${i}.checks.${j}`, message: `check "${id}" is already in stage "${placed.get(id)}"` });
      else {
        placed.set(id, s.name);
        checks.push(id);
      }
    });
    return { name: s.name, checks, failPolicy: s.failPolicy };
  });
  const last = stages[stages.length - 1];
  if (last) for (const id of ids) if (!placed.has(id)) last.checks.push(id);
  return stages;
}

function checkDependencies(stages: readonly ResolvedStage[], checks: Record<string, CheckSpec>, issues: FieldIssue[]): void {
  const order = new Map<string, number>();
  stages.flatMap((s) => s.checks).forEach((id, i) => {
    order.set(id, i);
  });
  for (const [id, spec] of Object.entries(checks)) {
    spec.dependsOn.forEach((dep, j) => {
      const path = `checks.${id}.dependsOn.${j}`;
      if (!checks[dep]) issues.push({ path, message: `no check with id "${dep}"` });
      else if (dep === id) issues.push({ path, message: 'a check cannot depend on itself' });
      else if ((order.get(dep) ?? 0) > (order.get(id) ?? 0)) {
        issues.push({ path, message: `"${dep}" runs after "${id}": list it earlier (dependencies must run first)` });
      }
    });
  }
}

/**
 * Resolves a config from its layers. Throws ConfigError (exit 2) naming every bad field; the result carries the
 * defaults of every kind's options.
 */
export function resolveConfig(input: ResolveInput): ResolvedConfig {
  const kinds = input.kinds.filter((k, i) => input.kinds.findIndex((o) => o.kind === k.kind) === i);
  const env = normaliseEnv(input.env ?? {}, kinds);
  const cli = input.cli ?? {};
  const file = input.file;
  if (file !== undefined && !isObj(file)) {
    throw new ConfigError(`${input.fileName ?? 'config'}: expected an object at the top level`, [{ path: '(root)', message: 'expected an object' }]);
  }
  const protoPaths = protoKeyPaths(file);
  if (protoPaths.length > 0) {
    const issues = protoPaths.map((path) => ({ path, message: '"__proto__" is not allowed as a key' }));
    throw new ConfigError(formatIssues(`invalid config (${input.fileName ?? 'config'}):`, issues), issues);
  }
  const fromEnv = readEnvOverrides(env);
  const presetName = cli.preset ?? fromEnv.preset ?? (typeof file?.preset === 'string' ? file.preset : undefined) ?? input.defaultPreset;
  let merged: Obj = presetName ? { ...(buildPreset(presetName, env) as Obj), preset: presetName } : {};
  if (file) merged = mergeConfigs(merged, file);
  if (presetName) merged.preset = presetName;
  merged = applyEnvAndCli(merged, env, cli, kinds);

  const source = [input.fileName, presetName ? `preset:${presetName}` : undefined].filter(Boolean).join(' + ') || 'inline config';
  const where = input.fileName ?? (presetName ? `preset ${presetName}` : 'config');

  // The target first: without one nothing else matters, and the message must be one clear line.
  if (input.requireTarget ?? true) {
    const t = isObj(merged.target) ? merged.target : {};
    if (typeof t.baseUrl === 'string') {
      const problem = urlProblem(t.baseUrl);
      if (problem) throw new ConfigError(`invalid target URL: ${problem}`, [{ path: 'target.baseUrl', message: problem }], 'GOLIVE_ERR_INVALID_URL');
    } else if (t.baseUrl === undefined && t.start === undefined) {
      const message = 'no target URL: pass one (golive check <url>, --url), set target.baseUrl, or set GOLIVE_BASE_URL / PROD_URL';
      throw new ConfigError(message, [{ path: 'target.baseUrl', message: 'required' }], 'GOLIVE_ERR_INVALID_URL');
    }
  }

  const kindIssues = checkKinds(merged, kinds);
  if (kindIssues.length > 0) throw new ConfigError(formatIssues(`invalid config (${where}):`, kindIssues), kindIssues, 'GOLIVE_ERR_UNKNOWN_KIND');

  const parsed = buildConfigSchema(kinds).safeParse(merged);
  if (!parsed.success) {
    const issues = issuesFromZod(parsed.error);
    throw new ConfigError(formatIssues(`invalid config (${where}):`, issues), issues);
  }
  const config = parsed.data;
  const issues: FieldIssue[] = [];
  const stages = resolveStages(config, issues);
  if (issues.length > 0) throw new ConfigError(formatIssues(`invalid config (${where}):`, issues), issues);
  checkDependencies(stages, config.checks, issues);
  if (issues.length > 0) throw new ConfigError(formatIssues(`invalid config (${where}):`, issues), issues, 'GOLIVE_ERR_DEPENDENCY');

  const resolved: ResolvedConfig = { ...config, stages, source, kinds };
  if (presetName) resolved.preset = presetName;
  if (!resolved.compat) {
    const seed = presetName ? PRESETS[presetName]?.compat : undefined;
    if (seed) resolved.compat = seed.name;
  }
  if (resolved.compat) resolved.compatChecks = compatChecksOf(resolved.compat);
  Object.defineProperty(resolved, RESOLVED, { value: true, enumerable: false });
  return resolved;
}

/** Typing helper for `golive.config.ts`: returns its argument. */
export function defineConfig(config: GoliveConfig): GoliveConfig {
  return config;
}
