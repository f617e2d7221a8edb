/**
 * `provider-config`: a declarative policy over the run's environment (ctx.env, never process.env).
 *
 * Built in, the seed's providers: Stripe mode (`STRIPE_TEST`, else the prefix of `STRIPE_SECRET_KEY`), a
 * webhook signing secret (`STRIPE_SIGNING_SECRET` / `STRIPE_WEBHOOK_SECRET`, `whsec_`), `NOTIFY_MODE` mock or
 * real, `EMAIL_FROM` set and an address. Advisory by default (warnings); enforced when live providers are
 * expected (`EXPECT_LIVE=1`) unless mocks are allowed (`ALLOW_PROVIDER_MOCK=1`), as the seed did. User rules
 * add required variables, patterns and forbidden values per environment.
 *
 * Values are never put in the outcome: only whether a variable is set and its classification
 * (`sk_live`, `whsec`, `mock`), so the result can be published as is.
 */
import { z } from 'zod';
import { CheckError } from '../core/errors.ts';
import type { Json, Observation } from '../core/result.ts';
import { isSecretEnv } from '../core/redact.ts';
import { testPattern } from '../core/regex.ts';
import { type CheckOutcome, defineCheck, observe } from './types.ts';
import { regexSource } from './util/options.ts';

type Env = Readonly<Record<string, string | undefined>>;
type Severity = 'error' | 'warn';

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name');

const ruleSchema = z
  .object({
    variable: envName.describe('Environment variable the rule is about.'),
    environments: z.array(z.string().min(1)).min(1).optional().describe('Apply only in these environments (default: always).'),
    required: z.boolean().default(false).describe('The variable must be set (non-empty).'),
    pattern: regexSource.optional().describe('When set, the value must match this regular expression.'),
    notPattern: regexSource.optional().describe('When set, the value must not match this regular expression.'),
    allowed: z.array(z.string()).min(1).optional().describe('When set, the value must be one of these.'),
    forbidden: z.array(z.string()).min(1).optional().describe('When set, the value must not be one of these.'),
    severity: z.enum(['error', 'warn']).default('error').describe('error gates the check; warn reports only.'),
    description: z.string().optional().describe('Why the rule exists; shown with its findings.'),
  })
  .strict();

/** A user rule of the `provider-config` check. */
export type ProviderRule = z.output<typeof ruleSchema>;

const DEFAULT_MOCK_MODES = ['mock', 'mocks', 'fake', 'stub', 'noop', 'none', 'null', 'log', 'console', 'dev', 'test', 'disabled', 'off', 'memory'];

/** Real email/notification providers whose names may be shown as the NOTIFY_MODE classification. */
const KNOWN_NOTIFY_PROVIDERS = ['provider', 'real', 'live', 'resend', 'sendgrid', 'ses', 'smtp', 'postmark', 'mailgun', 'sparkpost', 'mailjet', 'brevo', 'sendinblue', 'mandrill', 'twilio', 'loops', 'plunk'];

const options = z
  .object({
    expectLive: z.boolean().optional().describe('Expect live providers; overrides EXPECT_LIVE.'),
    allowMock: z.boolean().optional().describe('Report provider issues as warnings even when live is expected; overrides ALLOW_PROVIDER_MOCK.'),
    providers: z
      .array(z.enum(['stripe', 'email']))
      .default(['stripe', 'email'])
      .describe('Built-in providers to check: stripe (mode, signing secret), email (NOTIFY_MODE, EMAIL_FROM).'),
    mockModes: z.array(z.string().min(1)).min(1).default(DEFAULT_MOCK_MODES).describe('NOTIFY_MODE values that mean "no real provider" (case-insensitive).'),
    environment: z.string().min(1).optional().describe('Name of the environment rules are evaluated for (e.g. production).'),
    environmentVariables: z
      .array(envName)
      .default(['APP_ENV', 'NODE_ENV'])
      .describe('Variables read, in order, for the environment name when `environment` is not given.'),
    rules: z.array(ruleSchema).default([]).describe('User rules: required variables, patterns, allowed and forbidden values per environment.'),
  })
  .strict();

/** Options of the `provider-config` check. */
export type ProviderConfigOptions = z.output<typeof options>;

/** Parses a seed-style flag (`1`/`0`, `true`/`false`, `yes`/`no`, `on`/`off`); undefined when unset. */
export function parseFlag(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new CheckError('GOLIVE_ERR_CHECK_OPTIONS', `${name} must be 1 or 0 (or true/false), got a value of ${value.length} character(s)`);
}

/** Classification of a Stripe API key by prefix: `sk_live`, `rk_test`, `pk_live`, ..., `other` or `unset`. */
export function classifyStripeKey(value: string | undefined): string {
  if (!value) return 'unset';
  const m = /^(sk|rk|pk)_(live|test)_/.exec(value);
  return m ? `${m[1]}_${m[2]}` : 'other';
}

/** Whether a text is an email address, bare or as `Name <addr>`. */
export function isEmailAddress(value: string): boolean {
  const m = /<([^<>]+)>\s*$/.exec(value);
  const addr = (m ? m[1] : value)?.trim() ?? '';
  return /^[^\s@<>"(),;:]+@[^\s@<>"(),;:]+\.[^\s@<>"(),;:.]{2,}$/.test(addr);
}

/** One built-in finding before severity is applied. */
interface Finding {
  name: string;
  passed: boolean;
  expected: string;
  actual: string;
  code: string;
  /** Seed-style issue string (also the failure message). */
  issue: string;
  message: string;
}

/** The outcome of the built-in provider policy. */
export interface ProviderEvaluation {
  /** Exactly the seed's provider_config keys (STRIPE_MODE, STRIPE_SIGNING_SECRET_set, NOTIFY_MODE, EMAIL_FROM_set). */
  config: Record<string, Json>;
  /** Classification of each value looked at (`sk_live`, `whsec`, `address`, `unset`...), never the value. */
  classes: Record<string, string>;
  findings: Finding[];
}

function stripe(env: Env): ProviderEvaluation {
  const config: Record<string, Json> = {};
  const classes: Record<string, string> = {};
  const findings: Finding[] = [];
  const rawTest = env.STRIPE_TEST?.trim();
  const keyClass = classifyStripeKey(env.STRIPE_SECRET_KEY);
  const keyMode = keyClass.endsWith('_live') && !keyClass.startsWith('pk') ? 'live' : keyClass.endsWith('_test') && !keyClass.startsWith('pk') ? 'test' : undefined;
  let mode: 'live' | 'test' | 'invalid';
  let source: string;
  if (rawTest !== undefined && rawTest !== '') {
    const v = rawTest.toLowerCase();
    mode = ['0', 'false', 'no', 'off'].includes(v) ? 'live' : ['1', 'true', 'yes', 'on'].includes(v) ? 'test' : 'invalid';
    source = mode === 'invalid' ? 'STRIPE_TEST (not 0 or 1)' : `STRIPE_TEST=${mode === 'live' ? '0' : '1'}`;
  } else if (keyMode) {
    mode = keyMode;
    source = `STRIPE_SECRET_KEY is ${keyClass}`;
  } else {
    mode = 'test';
    source = 'STRIPE_TEST unset: test by default';
  }
  config.STRIPE_MODE = mode === 'live' ? '0' : mode === 'test' ? '1' : 'invalid';
  classes.STRIPE_SECRET_KEY = keyClass;
  findings.push({
    name: 'stripe-mode',
    passed: mode === 'live',
    expected: 'live',
    actual: `${mode} (${source})`,
    code: mode === 'invalid' ? 'PROVIDER_STRIPE_MODE_INVALID' : 'PROVIDER_STRIPE_TEST_MODE',
    issue: mode === 'invalid' ? 'STRIPE_TEST must be 0 (live) or 1 (test)' : `Stripe is in test mode (${source})`,
    message: `Stripe mode: ${mode} (${source})`,
  });
  if (keyClass !== 'unset') {
    const keyOk = keyMode !== undefined;
    const conflict = keyOk && mode !== 'invalid' && keyMode !== mode;
    findings.push({
      name: 'stripe-secret-key',
      passed: keyOk && !conflict,
      expected: mode === 'invalid' ? 'a secret key (sk_/rk_)' : `a ${mode} secret key (sk_${mode === 'live' ? 'live' : 'test'})`,
      actual: keyClass,
      code: keyOk ? 'PROVIDER_STRIPE_MODE_CONFLICT' : 'PROVIDER_STRIPE_KEY_INVALID',
      issue: !keyOk
        ? `STRIPE_SECRET_KEY is not a Stripe secret or restricted key (${keyClass === 'other' ? 'unrecognised prefix' : `${keyClass}: a publishable key`})`
        : `STRIPE_SECRET_KEY is a ${keyMode} key (${keyClass}) but ${source}`,
      message: `STRIPE_SECRET_KEY is ${keyClass}`,
    });
  }
  const secretName = env.STRIPE_SIGNING_SECRET ? 'STRIPE_SIGNING_SECRET' : env.STRIPE_WEBHOOK_SECRET ? 'STRIPE_WEBHOOK_SECRET' : undefined;
  const secret = secretName ? env[secretName] : undefined;
  const secretClass = secret === undefined ? 'unset' : secret.startsWith('whsec_') ? 'whsec' : 'other';
  config.STRIPE_SIGNING_SECRET_set = secret !== undefined;
  classes.STRIPE_SIGNING_SECRET = secretClass;
  findings.push({
    name: 'stripe-signing-secret',
    passed: secretClass === 'whsec',
    expected: 'set, whsec_…',
    actual: secretClass === 'unset' ? 'unset' : `${secretName} ${secretClass === 'whsec' ? 'whsec_…' : 'set, not whsec_…'}`,
    code: secretClass === 'unset' ? 'PROVIDER_SIGNING_SECRET_MISSING' : 'PROVIDER_SIGNING_SECRET_INVALID',
    issue:
      secretClass === 'unset'
        ? 'STRIPE_SIGNING_SECRET is not set (webhook signatures cannot be verified)'
        : `${secretName} does not look like a Stripe signing secret (expected whsec_…)`,
    message: `${secretName ?? 'STRIPE_SIGNING_SECRET'}: ${secretClass}`,
  });
  return { config, classes, findings };
}

function email(env: Env, mockModes: readonly string[]): ProviderEvaluation {
  const config: Record<string, Json> = {};
  const classes: Record<string, string> = {};
  const findings: Finding[] = [];
  const raw = env.NOTIFY_MODE?.trim() || undefined;
  const mode = raw ?? 'mock';
  const isMock = mockModes.some((m) => m.toLowerCase() === mode.toLowerCase());
  // Only known mode names are shown: anything else might be a value that must not be published.
  const known = isMock || KNOWN_NOTIFY_PROVIDERS.includes(mode.toLowerCase());
  const shown = known && /^[A-Za-z][A-Za-z0-9_-]{0,31}$/.test(mode) && !isSecretEnv('NOTIFY_MODE', mode) ? mode : isMock ? 'mock' : 'custom';
  config.NOTIFY_MODE = shown;
  findings.push({
    name: 'notify-mode',
    passed: !isMock,
    expected: 'a real provider',
    actual: raw === undefined ? 'mock (NOTIFY_MODE unset)' : isMock ? `${shown} (mock)` : shown,
    code: 'PROVIDER_NOTIFY_MOCK',
    issue: `NOTIFY_MODE is ${raw === undefined ? 'unset (mock by default)' : `${shown}, a mock`}: no email is really sent`,
    message: `NOTIFY_MODE: ${shown}${isMock ? ' (mock)' : ''}`,
  });
  const from = env.EMAIL_FROM?.trim() || undefined;
  const fromClass = from === undefined ? 'unset' : isEmailAddress(from) ? 'address' : 'invalid';
  config.EMAIL_FROM_set = from !== undefined;
  classes.EMAIL_FROM = fromClass;
  findings.push({
    name: 'email-from',
    passed: fromClass === 'address',
    expected: 'set, an email address',
    actual: fromClass === 'address' ? 'set, an address' : fromClass === 'unset' ? 'unset' : 'set, not an address',
    code: fromClass === 'unset' ? 'PROVIDER_EMAIL_FROM_MISSING' : 'PROVIDER_EMAIL_FROM_INVALID',
    issue: fromClass === 'unset' ? 'EMAIL_FROM is not set' : 'EMAIL_FROM is not an email address',
    message: `EMAIL_FROM: ${fromClass}`,
  });
  return { config, classes, findings };
}

/** Evaluates the built-in provider policy over an environment (pure: used by the check and its tests). */
export function evaluateProviders(env: Env, providers: readonly ('stripe' | 'email')[], mockModes: readonly string[] = DEFAULT_MOCK_MODES): ProviderEvaluation {
  const out: ProviderEvaluation = { config: {}, classes: {}, findings: [] };
  for (const p of providers) {
    const r = p === 'stripe' ? stripe(env) : email(env, mockModes);
    Object.assign(out.config, r.config);
    Object.assign(out.classes, r.classes);
    out.findings.push(...r.findings);
  }
  return out;
}

/** Evaluates one user rule; undefined when it does not apply to the environment. */
export function evaluateRule(rule: ProviderRule, env: Env, environment: string | undefined): Observation | undefined {
  if (rule.environments && !(environment !== undefined && rule.environments.includes(environment))) return undefined;
  const value = env[rule.variable];
  const set = value !== undefined && value !== '';
  const where = environment ? ` in ${environment}` : '';
  const why = rule.description ? ` (${rule.description})` : '';
  const name = `rule:${rule.variable}`;
  const sev = { severity: rule.severity };
  if (!set) {
    return rule.required
      ? observe(name, false, 'set', 'unset', { ...sev, code: 'PROVIDER_RULE_REQUIRED', message: `${rule.variable} is required${where} but not set${why}` })
      : observe(name, true, 'optional', 'unset', { message: `${rule.variable} unset (optional${where})` });
  }
  const fails: Array<{ code: string; text: string }> = [];
  if (rule.pattern !== undefined && !testPattern(rule.pattern, value)) fails.push({ code: 'PROVIDER_RULE_PATTERN', text: `does not match /${rule.pattern}/` });
  if (rule.notPattern !== undefined && testPattern(rule.notPattern, value)) fails.push({ code: 'PROVIDER_RULE_PATTERN', text: `matches /${rule.notPattern}/, which is not allowed` });
  if (rule.allowed && !rule.allowed.includes(value)) fails.push({ code: 'PROVIDER_RULE_ALLOWED', text: `is not one of the ${rule.allowed.length} allowed value(s)` });
  const forbiddenAt = rule.forbidden ? rule.forbidden.indexOf(value) : -1;
  // The index, not the value: the forbidden list may itself hold a value that must not be echoed.
  if (forbiddenAt >= 0) fails.push({ code: 'PROVIDER_RULE_FORBIDDEN', text: `has forbidden value #${forbiddenAt + 1}${where}` });
  if (fails.length === 0) return observe(name, true, 'set and valid', 'set', { message: `${rule.variable} set and valid${where}` });
  return observe(name, false, 'set and valid', `set, ${fails.map((f) => f.text).join('; ')}`, {
    ...sev,
    code: fails[0]?.code ?? 'PROVIDER_RULE_PATTERN',
    message: `${rule.variable} ${fails.map((f) => f.text).join('; ')}${why}`,
  });
}

/** The `provider-config` check kind. */
export const providerConfigCheck = defineCheck({
  kind: 'provider-config',
  title: 'Provider configuration',
  description: 'Checks the environment for live payment and email providers (advisory unless EXPECT_LIVE=1) and user rules; values are never reported.',
  options,
  defaultTimeoutMs: 5_000,
  env: [
    { names: ['GOLIVE_EXPECT_LIVE', 'EXPECT_LIVE'], description: 'enforce live providers (1)' },
    { names: ['GOLIVE_ALLOW_PROVIDER_MOCK', 'ALLOW_PROVIDER_MOCK'], description: 'mocks allowed even when EXPECT_LIVE=1 (1)' },
  ],
  metrics: { issues: { direction: 'lower', tolerance: 0 } },
  async run(ctx, opts): Promise<CheckOutcome> {
    ctx.signal.throwIfAborted();
    const env = ctx.env;
    const expectLive = opts.expectLive ?? parseFlag('EXPECT_LIVE', env.EXPECT_LIVE) ?? false;
    // Unset means "not allowed": the seed defaulted to 1, which let an EXPECT_LIVE=1 run pass with mocks.
    const allowMock = opts.allowMock ?? parseFlag('ALLOW_PROVIDER_MOCK', env.ALLOW_PROVIDER_MOCK) ?? false;
    const enforced = expectLive && !allowMock;
    const severity: Severity = enforced ? 'error' : 'warn';
    const mode = enforced ? 'enforced' : expectLive ? 'advisory: ALLOW_PROVIDER_MOCK=1' : 'advisory: EXPECT_LIVE is not 1';

    const { config, classes, findings } = evaluateProviders(env, opts.providers, opts.mockModes);
    const observations: Observation[] = findings.map((f) =>
      observe(f.name, f.passed, f.expected, f.actual, f.passed ? { message: f.message } : { severity, code: f.code, message: `${f.issue} (${mode}; read from golive's environment)` }),
    );
    const issues = findings.filter((f) => !f.passed).map((f) => f.issue);

    const environment = opts.environment ?? opts.environmentVariables.map((v) => env[v]?.trim()).find((v) => v);
    const rules: Json[] = [];
    for (const rule of opts.rules) {
      const o = evaluateRule(rule, env, environment);
      if (!o) continue;
      observations.push(o);
      rules.push({ variable: rule.variable, set: Boolean(env[rule.variable]), passed: o.passed, severity: rule.severity });
    }

    const failedRules = observations.filter((o) => o.name.startsWith('rule:') && !o.passed).length;
    const data: Record<string, Json> = {
      config,
      classification: classes,
      // The seed listed issues only when live providers were expected; advisories keep the rest visible.
      issues: expectLive ? issues : [],
      advisories: expectLive ? [] : issues,
      expectLive,
      allowMock,
      enforced,
      environment: environment ?? null,
      rules,
    };
    return {
      observations,
      metrics: { issues: issues.length, enforced, ruleFailures: failedRules },
      data,
      // The check cannot see the target's configuration: the summary says whose environment it judged.
      summary:
        issues.length === 0 && failedRules === 0
          ? `golive's environment: providers live${opts.rules.length ? `, ${rules.length} rule(s) hold` : ''}`
          : `golive's environment: ${issues.length} provider issue(s)${enforced ? '' : ' (advisory)'}${failedRules ? `, ${failedRules} rule failure(s)` : ''}`,
    };
  },
});
