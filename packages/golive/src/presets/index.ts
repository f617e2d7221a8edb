/**
 * Presets: ready-made gates. `recommended` is the default of `golive check`; `stage3` and `stage4` reproduce
 * the check sets, variables and artifacts of the stage 3 / stage 4 gate scripts they replace, and own the
 * mapping from their checks to the fields of those artifacts. Presets name kinds as data only; each kind's
 * schema fills in its defaults (health path, 5 canary pings 300 ms apart, p95 < 1 s).
 */
import type { CheckConfig, GoliveConfig } from '../config/schema.ts';
import { ConfigError } from '../core/errors.ts';

/** Environment a preset may read (the run's environment, read once). */
export type PresetEnv = Readonly<Record<string, string | undefined>>;

/**
 * Which check (by id) stands for each role of a seed artifact set: the stage 4 summary's `health` block comes
 * from the check with the id under `health`, and so on. The compat writers read results by these ids only.
 */
export type CompatChecks = Readonly<Record<string, string>>;

/** A preset: a config built from the environment. */
export interface Preset {
  /** One sentence for `--help` and docs. */
  description: string;
  build(env: PresetEnv): GoliveConfig;
  /** For a seed preset: the artifact set it writes and the check behind each of its fields. */
  compat?: { name: 'stage3' | 'stage4'; checks: CompatChecks };
}

/** The seed's stage 3 smoke requests (`http` checks); the webhook must refuse an unsigned POST and never 5xx. */
function stage3Smoke(): Record<string, CheckConfig> {
  return {
    health: { kind: 'health', title: 'Health' },
    'auth-csrf': {
      kind: 'http',
      title: 'Auth CSRF',
      options: { method: 'GET', path: '/api/auth/csrf', expect: { status: 200 } },
    },
    'security-csrf': {
      kind: 'http',
      title: 'Security CSRF',
      options: { method: 'GET', path: '/api/security/csrf', expect: { status: 200 } },
    },
    'stripe-webhook': {
      kind: 'http',
      title: 'Stripe webhook refuses an unsigned event',
      options: {
        method: 'POST',
        path: '/api/stripe/webhook',
        headers: { 'content-type': 'application/json' },
        body: '{}',
        expect: { status: [400, 401, 403], notStatus: '5xx' },
      },
    },
    'notify-outbox': {
      kind: 'http',
      title: 'Notify outbox',
      options: { method: 'GET', path: '/api/notify/outbox', expect: { status: 200 } },
    },
  };
}

/** Environment variable holding the stage 3 release gate command (the seed ran `python release_gate/run_all.py`). */
export const RELEASE_GATE_ENV = 'GOLIVE_RELEASE_GATE_COMMAND';

/** Every preset by name. */
export const PRESETS: Readonly<Record<string, Preset>> = {
  recommended: {
    description: 'health, canary and security-headers gate; provider-config is advisory (warn).',
    build: () => ({
      checks: {
        health: { kind: 'health', title: 'Health' },
        canary: { kind: 'canary', title: 'Canary pings', dependsOn: ['health'] },
        'security-headers': { kind: 'security-headers', title: 'Security headers' },
        'provider-config': { kind: 'provider-config', title: 'Provider config', level: 'warn' },
      },
      stages: [{ name: 'go-live', checks: ['health', 'canary', 'security-headers', 'provider-config'], failPolicy: 'continue' }],
    }),
  },
  contracts: {
    description:
      'health, then the contract probes with the seeds\' defaults: the Stripe webhook (/api/stripe/webhook, STRIPE_WEBHOOK_SECRET), idempotency and rate limit on /v1/events. They change state: against a URL that is not loopback or private, pass --allow-mutation (never with EXPECT_LIVE=1).',
    build: () => ({
      checks: {
        health: { kind: 'health', title: 'Health' },
        webhook: { kind: 'webhook', title: 'Stripe webhook signatures', dependsOn: ['health'], options: { path: '/api/stripe/webhook', scheme: 'stripe' } },
        idempotency: {
          kind: 'idempotency',
          title: 'Idempotent ingest',
          dependsOn: ['health'],
          options: { path: '/v1/events', effect: { type: 'count', path: '/v1/events', jsonPath: 'count' } },
        },
        'rate-limit': { kind: 'rate-limit', title: 'Rate limit', dependsOn: ['health'], options: { path: '/v1/events' } },
      },
      stages: [
        { name: 'smoke', checks: ['health'], failPolicy: 'fail-fast' },
        { name: 'contracts', checks: ['webhook', 'idempotency', 'rate-limit'], failPolicy: 'continue' },
      ],
    }),
  },
  stage4: {
    description: 'The stage 4 go-live gate: health, canary (5 × 300 ms, p95 < 1000 ms), CSP on /, provider config per EXPECT_LIVE / ALLOW_PROVIDER_MOCK; writes qa/stage4/v0.4.0/.',
    build: () => ({
      checks: {
        health: { kind: 'health', title: 'Health Check' },
        canary: { kind: 'canary', title: 'Canary Pings' },
        // The seed's check: a CSP (or CSP-Report-Only) on /, nothing more; `recommended` runs the full analysis.
        'security-headers': { kind: 'security-headers', title: 'Root Headers', options: { analysis: false } },
        'provider-config': { kind: 'provider-config', title: 'Provider Config' },
      },
      stages: [{ name: 'go-live', checks: ['health', 'canary', 'security-headers', 'provider-config'], failPolicy: 'continue' }],
      compat: 'stage4',
    }),
    compat: { name: 'stage4', checks: { health: 'health', canary: 'canary', rootHeaders: 'security-headers', providerConfig: 'provider-config' } },
  },
  stage3: {
    description: `The stage 3 staging pilot: smoke requests (health, CSRF endpoints, unsigned webhook refused, outbox), then the release gate command from ${RELEASE_GATE_ENV} when set; writes qa/stage3/v0.3.0/.`,
    build: (env) => {
      const checks = stage3Smoke();
      const stages: NonNullable<GoliveConfig['stages']> = [{ name: 'smoke', checks: Object.keys(checks), failPolicy: 'continue' }];
      const releaseGate = env[RELEASE_GATE_ENV];
      if (releaseGate?.trim()) {
        // HOME_API=1 is the seed's default "API mode" for the release gate; the command inherits the environment.
        checks['release-gate'] = {
          kind: 'command',
          title: 'Release gate',
          options: { command: releaseGate, env: { HOME_API: env.HOME_API ?? '1' } },
        };
        stages.push({ name: 'release-gate', checks: ['release-gate'], failPolicy: 'continue' });
      }
      return { checks, stages, compat: 'stage3' };
    },
    // Smoke entries are the checks of the `smoke` stage; `health` is the one whose JSON payload is the body.
    compat: { name: 'stage3', checks: { smokeStage: 'smoke', health: 'health', releaseGate: 'release-gate' } },
  },
};

/** Names of the presets. */
export function presetNames(): string[] {
  return Object.keys(PRESETS);
}

/** Builds a preset's config; unknown names are a config error listing the known ones. */
export function buildPreset(name: string, env: PresetEnv): GoliveConfig {
  const preset = PRESETS[name];
  if (!preset) {
    throw new ConfigError(
      `unknown preset "${name}" (known: ${presetNames().join(', ')})`,
      [{ path: 'preset', message: `expected one of ${presetNames().join(', ')}` }],
      'GOLIVE_ERR_UNKNOWN_PRESET',
    );
  }
  return preset.build(env);
}

/** The check ids behind a seed artifact set (`compat: stage3 | stage4`), from the seed preset that writes it. */
export function compatChecksOf(name: 'stage3' | 'stage4'): CompatChecks {
  const preset = Object.values(PRESETS).find((p) => p.compat?.name === name);
  return preset?.compat?.checks ?? {};
}
