/**
 * The environment layer of the config. golive honours the variables of the stage 3 / stage 4 scripts it
 * replaces (PROD_URL, OI_BASE_URL, HEALTH_URL, S4_TIMEOUT, EXPECT_LIVE, ALLOW_PROVIDER_MOCK, HOME_API) and a
 * GOLIVE_* name for each; the GOLIVE_* name wins when both are set. The variables here are the target's and
 * the run's; each check kind declares its own (`env` in its definition) and this layer applies them without
 * knowing the kind.
 */
import type { CheckDefinition, KindEnvVariable } from '../checks/types.ts';
import { ConfigError, type FieldIssue } from '../core/errors.ts';

/** An environment as read once at the start of a run. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Variables of the target and the run (not of one kind), with what they set. */
export const TARGET_ENV_VARIABLES: ReadonlyArray<{ names: string[]; sets: string }> = [
  { names: ['GOLIVE_BASE_URL', 'PROD_URL', 'OI_BASE_URL'], sets: 'target.baseUrl' },
  { names: ['GOLIVE_HEALTH_URL', 'HEALTH_URL'], sets: 'target.baseUrl (its origin) when nothing else sets it' },
  {
    names: ['GOLIVE_TIMEOUT_MS'],
    sets: 'target.timeoutMs and the per-request timeout of every kind that declares one (health, canary, http, security-headers; milliseconds)',
  },
  { names: ['S4_TIMEOUT'], sets: 'the same, in seconds as in the stage 4 script' },
  { names: ['GOLIVE_PRESET'], sets: 'preset' },
  { names: ['GOLIVE_CONFIG_TIMEOUT_MS'], sets: 'how long a .ts / .js config may take to load (default 10000 ms)' },
  { names: ['GOLIVE_OUT'], sets: 'out' },
  { names: ['GOLIVE_REPORTERS'], sets: 'reporters (comma-separated)' },
  { names: ['GOLIVE_LABEL'], sets: 'label (the run label of the report and the run history)' },
  { names: ['GOLIVE_RELEASE'], sets: 'release (the release of the target; default `git describe --always --dirty`)' },
  { names: ['GOLIVE_HISTORY'], sets: 'history.dir (write each run into this run history)' },
  { names: ['GOLIVE_HISTORY_KEEP'], sets: 'history.keep (how many runs the history keeps)' },
  { names: ['GOLIVE_BASELINE'], sets: 'baseline.from (a report.json or a history directory to compare with)' },
  { names: ['GOLIVE_BASELINE_LEVEL'], sets: 'baseline.level (`warn`, `error` or `off`)' },
  { names: ['GOLIVE_HOME_API', 'HOME_API'], sets: 'stage3 preset: HOME_API of the release gate command (default 1)' },
  { names: ['GOLIVE_RELEASE_GATE_COMMAND'], sets: 'stage3 preset: the release gate command run as its last stage' },
];

/** Every variable golive reads: the target's, then each kind's (docs/configuration.md repeats this table). */
export function envVariables(kinds: readonly Pick<CheckDefinition, 'kind' | 'env'>[]): Array<{ names: string[]; sets: string }> {
  const out = TARGET_ENV_VARIABLES.map((v) => ({ names: [...v.names], sets: v.sets }));
  const byNames = new Map<string, { names: string[]; sets: string }>(out.map((row) => [row.names.join(','), row]));
  for (const def of kinds) {
    for (const v of def.env ?? []) {
      const key = v.names.join(',');
      const known = byNames.get(key);
      if (known) known.sets += `; ${def.kind}: ${v.description}`;
      else {
        const row = { names: [...v.names], sets: `${def.kind}: ${v.description}` };
        byNames.set(key, row);
        out.push(row);
      }
    }
  }
  return out;
}

/** The first non-empty value among the names. */
export function firstEnv(env: Env, names: readonly string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return { name, value };
  }
  return undefined;
}

/**
 * The run environment handed to checks: for every variable a kind reads itself, the first of its names that is
 * set is copied onto the last (so `GOLIVE_EXPECT_LIVE` reaches a check reading `EXPECT_LIVE`), and the
 * stage 3 `GOLIVE_HOME_API` onto `HOME_API`.
 */
export function normaliseEnv(env: Env, kinds: readonly Pick<CheckDefinition, 'env'>[] = []): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = { ...env };
  const passthrough: Array<readonly string[]> = [['GOLIVE_HOME_API', 'HOME_API']];
  for (const def of kinds) for (const v of def.env ?? []) if (!v.option) passthrough.push(v.names);
  for (const names of passthrough) {
    const first = firstEnv(env, names);
    const last = names[names.length - 1];
    if (first && last) out[last] = first.value;
  }
  return out;
}

/** The option values the kinds' own variables set, per kind: `{ health: { url: '...' } }`. */
export function kindEnvOptions(env: Env, kinds: readonly Pick<CheckDefinition, 'kind' | 'env'>[]): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const def of kinds) {
    for (const v of def.env ?? ([] as KindEnvVariable[])) {
      if (!v.option) continue;
      const found = firstEnv(env, v.names);
      if (!found) continue;
      const options = out.get(def.kind) ?? {};
      options[v.option] = found.value;
      out.set(def.kind, options);
    }
  }
  return out;
}

/** Overrides the environment sets on a config, as a partial config-like object plus issues found. */
export interface EnvOverrides {
  baseUrl?: string;
  /** HEALTH_URL: the seed derives the base URL from it when nothing else sets one. */
  healthUrl?: string;
  timeoutMs?: number;
  preset?: string;
  out?: string;
  reporters?: string[];
  label?: string;
  release?: string;
  historyDir?: string;
  historyKeep?: number;
  baselineFrom?: string;
  baselineLevel?: string;
}

/** Reads the config overrides from the environment; a malformed value is a config error naming the variable. */
export function readEnvOverrides(env: Env): EnvOverrides {
  const o: EnvOverrides = {};
  const issues: FieldIssue[] = [];
  const base = firstEnv(env, ['GOLIVE_BASE_URL', 'PROD_URL', 'OI_BASE_URL']);
  if (base) o.baseUrl = base.value;
  const ms = firstEnv(env, ['GOLIVE_TIMEOUT_MS']);
  const s = firstEnv(env, ['S4_TIMEOUT']);
  if (ms) {
    const v = Number(ms.value);
    if (Number.isFinite(v) && v > 0) o.timeoutMs = Math.round(v);
    else issues.push({ path: `env.${ms.name}`, message: `expected a positive number of milliseconds, got "${ms.value}"` });
  } else if (s) {
    const v = Number(s.value);
    if (Number.isFinite(v) && v > 0) o.timeoutMs = Math.round(v * 1000);
    else issues.push({ path: `env.${s.name}`, message: `expected a positive number of seconds, got "${s.value}"` });
  }
  const health = firstEnv(env, ['GOLIVE_HEALTH_URL', 'HEALTH_URL']);
  if (health) o.healthUrl = health.value;
  const preset = firstEnv(env, ['GOLIVE_PRESET']);
  if (preset) o.preset = preset.value;
  const out = firstEnv(env, ['GOLIVE_OUT']);
  if (out) o.out = out.value;
  const reporters = firstEnv(env, ['GOLIVE_REPORTERS']);
  if (reporters) o.reporters = reporters.value.split(',').map((r) => r.trim()).filter(Boolean);
  const label = firstEnv(env, ['GOLIVE_LABEL']);
  if (label) o.label = label.value;
  const release = firstEnv(env, ['GOLIVE_RELEASE']);
  if (release) o.release = release.value;
  const history = firstEnv(env, ['GOLIVE_HISTORY']);
  if (history) o.historyDir = history.value;
  const keep = firstEnv(env, ['GOLIVE_HISTORY_KEEP']);
  if (keep) {
    const v = Number(keep.value);
    if (Number.isInteger(v) && v > 0) o.historyKeep = v;
    else issues.push({ path: `env.${keep.name}`, message: `expected a positive whole number of runs, got "${keep.value}"` });
  }
  const baseline = firstEnv(env, ['GOLIVE_BASELINE']);
  if (baseline) o.baselineFrom = baseline.value;
  const baselineLevel = firstEnv(env, ['GOLIVE_BASELINE_LEVEL']);
  if (baselineLevel) {
    if (['error', 'warn', 'off'].includes(baselineLevel.value)) o.baselineLevel = baselineLevel.value;
    else issues.push({ path: `env.${baselineLevel.name}`, message: `expected error, warn or off, got "${baselineLevel.value}"` });
  }
  if (issues.length > 0) throw new ConfigError(`invalid environment: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
  return o;
}
