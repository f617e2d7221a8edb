/**
 * The environment layer of the config. golive honours the variables of the stage 3 / stage 4 scripts it
 * replaces (PROD_URL, OI_BASE_URL, HEALTH_URL, S4_TIMEOUT, EXPECT_LIVE, ALLOW_PROVIDER_MOCK, HOME_API) and a
 * GOLIVE_* name for each; the GOLIVE_* name wins when both are set.
 */
import { ConfigError, type FieldIssue } from '../core/errors.ts';

/** An environment as read once at the start of a run. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Variables that only checks read (through ctx.env); GOLIVE_<name> is copied onto <name>. */
export const PASSTHROUGH_VARIABLES = ['EXPECT_LIVE', 'ALLOW_PROVIDER_MOCK', 'HOME_API'] as const;

/** Every variable golive reads, with what it sets (docs/configuration.md repeats this table). */
export const ENV_VARIABLES: ReadonlyArray<{ names: string[]; sets: string }> = [
  { names: ['GOLIVE_BASE_URL', 'PROD_URL', 'OI_BASE_URL'], sets: 'target.baseUrl' },
  { names: ['GOLIVE_HEALTH_URL', 'HEALTH_URL'], sets: 'the URL of every health and canary check (and target.baseUrl when nothing else sets it)' },
  { names: ['GOLIVE_TIMEOUT_MS'], sets: 'target.timeoutMs and the request timeout of health, canary, http and security-headers checks (milliseconds)' },
  { names: ['S4_TIMEOUT'], sets: 'the same, in seconds as in the stage 4 script' },
  { names: ['GOLIVE_PRESET'], sets: 'preset' },
  { names: ['GOLIVE_OUT'], sets: 'out' },
  { names: ['GOLIVE_REPORTERS'], sets: 'reporters (comma-separated)' },
  { names: ['GOLIVE_EXPECT_LIVE', 'EXPECT_LIVE'], sets: 'provider-config: enforce live providers (1)' },
  { names: ['GOLIVE_ALLOW_PROVIDER_MOCK', 'ALLOW_PROVIDER_MOCK'], sets: 'provider-config: mocks allowed even when EXPECT_LIVE=1 (1)' },
  { names: ['GOLIVE_HOME_API', 'HOME_API'], sets: 'passed to command checks (stage 3 release gate API mode)' },
  { names: ['GOLIVE_RELEASE_GATE_COMMAND'], sets: 'stage3 preset: the release gate command run as its last stage' },
];

/** The option holding the absolute URL a kind requests, for HEALTH_URL. */
export const HEALTH_URL_OPTION: Readonly<Record<string, string>> = { health: 'url', canary: 'url' };

/**
 * Kinds whose `timeoutMs` option is a per-request timeout, set by S4_TIMEOUT / GOLIVE_TIMEOUT_MS / --timeout
 * (the seed applied S4_TIMEOUT to every request). Command and load checks keep their own timeouts.
 */
export const REQUEST_TIMEOUT_KINDS: readonly string[] = ['health', 'canary', 'http', 'security-headers'];

/** The first non-empty value among the names. */
export function firstEnv(env: Env, names: readonly string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return { name, value };
  }
  return undefined;
}

/** The run environment handed to checks: GOLIVE_<name> copied onto the seed's <name>. */
export function normaliseEnv(env: Env): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = { ...env };
  for (const name of PASSTHROUGH_VARIABLES) {
    const g = env[`GOLIVE_${name}`];
    if (g !== undefined && g !== '') out[name] = g;
  }
  return out;
}

/** Overrides the environment sets on a config, as a partial config-like object plus issues found. */
export interface EnvOverrides {
  baseUrl?: string;
  healthUrl?: string;
  timeoutMs?: number;
  preset?: string;
  out?: string;
  reporters?: string[];
}

/** Reads the config overrides from the environment; a malformed value is a config error naming the variable. */
export function readEnvOverrides(env: Env): EnvOverrides {
  const o: EnvOverrides = {};
  const issues: FieldIssue[] = [];
  const base = firstEnv(env, ['GOLIVE_BASE_URL', 'PROD_URL', 'OI_BASE_URL']);
  if (base) o.baseUrl = base.value;
  const health = firstEnv(env, ['GOLIVE_HEALTH_URL', 'HEALTH_URL']);
  if (health) o.healthUrl = health.value;
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
  const preset = firstEnv(env, ['GOLIVE_PRESET']);
  if (preset) o.preset = preset.value;
  const out = firstEnv(env, ['GOLIVE_OUT']);
  if (out) o.out = out.value;
  const reporters = firstEnv(env, ['GOLIVE_REPORTERS']);
  if (reporters) o.reporters = reporters.value.split(',').map((r) => r.trim()).filter(Boolean);
  if (issues.length > 0) throw new ConfigError(`invalid environment: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
  return o;
}
