import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { defineCheck, observe } from '../../src/checks/types.ts';
import { findConfigFile, loadConfigFile } from '../../src/config/load.ts';
import { PRESETS } from '../../src/presets/index.ts';
import { resolveConfig } from '../../src/index.ts';
import { ConfigError } from '../../src/core/errors.ts';

const probe = defineCheck({
  kind: 't-probe',
  title: 'Probe',
  description: 'Test-local kind with strict options.',
  options: z
    .object({
      count: z.number().int().min(1).default(5),
      path: z.string().default('/health'),
      url: z.string().optional(),
      timeoutMs: z.number().int().positive().default(5000),
    })
    .strict(),
  async run() {
    return { observations: [observe('x', true, 'x', 'x')] };
  },
});
const kinds = [probe];
const base = { target: { baseUrl: 'http://127.0.0.1:8000' } };

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a ConfigError');
}

describe('resolveConfig: validation', () => {
  it('applies kind defaults to options and entry defaults to checks', () => {
    const c = resolveConfig({ file: { ...base, checks: { p: { kind: 't-probe' } } }, kinds });
    assert.deepEqual(c.checks.p?.options, { count: 5, path: '/health', timeoutMs: 5000 });
    assert.equal(c.checks.p?.level, 'error');
    assert.deepEqual(c.checks.p?.dependsOn, []);
    assert.deepEqual(c.stages, [{ name: 'go-live', checks: ['p'], failPolicy: 'continue' }]);
    assert.equal(c.target.timeoutMs, 5000);
  });

  it('names every bad field with its dotted path and what was expected', () => {
    const err = configError(() =>
      resolveConfig({
        file: { ...base, checks: { p: { kind: 't-probe', level: 'loud', options: { count: 'five', bogus: 1 } } }, extra: true },
        kinds,
      }),
    );
    assert.equal(err.code, 'GOLIVE_ERR_CONFIG_INVALID');
    const paths = err.issues.map((i) => i.path).sort();
    assert.deepEqual(paths, ['(root)', 'checks.p.level', 'checks.p.options', 'checks.p.options.count']);
    const byPath = Object.fromEntries(err.issues.map((i) => [i.path, i.message]));
    assert.match(byPath['checks.p.options.count'] ?? '', /expected number, received string/);
    assert.match(byPath['checks.p.options'] ?? '', /unknown field "bogus"/);
    assert.match(byPath['(root)'] ?? '', /unknown field "extra"/);
    assert.match(err.message, /checks\.p\.level: .*"error".*"warn".*"off"/);
  });

  it('rejects an unknown kind listing the registered ones', () => {
    const err = configError(() => resolveConfig({ file: { ...base, checks: { p: { kind: 'nope' } } }, kinds }));
    assert.equal(err.code, 'GOLIVE_ERR_UNKNOWN_KIND');
    assert.equal(err.issues[0]?.path, 'checks.p.kind');
    assert.match(err.message, /unknown kind "nope" \(registered: .*t-probe/);
  });

  it('rejects stages naming unknown checks, duplicates, and forward or unknown dependencies', () => {
    const e1 = configError(() =>
      resolveConfig({ file: { ...base, checks: { a: { kind: 't-probe' } }, stages: [{ name: 's', checks: ['a', 'ghost'] }, { name: 't', checks: ['a'] }] }, kinds }),
    );
    assert.deepEqual(
      e1.issues.map((i) => i.path),
      ['stages.0.checks.1', 'stages.1.checks.0'],
    );
    const e2 = configError(() =>
      resolveConfig({ file: { ...base, checks: { a: { kind: 't-probe', dependsOn: ['b', 'zz'] }, b: { kind: 't-probe' } } }, kinds }),
    );
    assert.equal(e2.code, 'GOLIVE_ERR_DEPENDENCY');
    assert.deepEqual(
      e2.issues.map((i) => i.path),
      ['checks.a.dependsOn.0', 'checks.a.dependsOn.1'],
    );
  });

  it('puts checks named by no stage into the last stage', () => {
    const c = resolveConfig({ file: { ...base, checks: { a: { kind: 't-probe' }, b: { kind: 't-probe' } }, stages: [{ name: 'one', checks: ['b'] }] }, kinds });
    assert.deepEqual(c.stages[0]?.checks, ['b', 'a']);
  });

  it('requires a usable target URL, with one clear message', () => {
    const none = configError(() => resolveConfig({ file: { checks: {} }, kinds }));
    assert.equal(none.code, 'GOLIVE_ERR_INVALID_URL');
    assert.ok(!none.message.includes('\n'));
    const bad = configError(() => resolveConfig({ file: { target: { baseUrl: 'ftp://x' } }, kinds }));
    assert.match(bad.message, /not an http\(s\) URL/);
    assert.doesNotThrow(() => resolveConfig({ file: { target: { start: { command: 'true' } } }, kinds }));
  });
});

describe('resolveConfig: layers', () => {
  const file = { target: { baseUrl: 'http://file.example', timeoutMs: 1000 }, checks: { p: { kind: 't-probe', options: { count: 2 } } } };

  it('precedence is flags > environment > file > preset', () => {
    assert.equal(resolveConfig({ file, kinds }).target.baseUrl, 'http://file.example');
    const env = { PROD_URL: 'http://prod.example', S4_TIMEOUT: '2.5' };
    const fromEnv = resolveConfig({ file, env, kinds });
    assert.equal(fromEnv.target.baseUrl, 'http://prod.example');
    assert.equal(fromEnv.target.timeoutMs, 2500);
    const fromCli = resolveConfig({ file, env, cli: { baseUrl: 'http://cli.example', timeoutMs: 700 }, kinds });
    assert.equal(fromCli.target.baseUrl, 'http://cli.example');
    assert.equal(fromCli.target.timeoutMs, 700);
  });

  it('GOLIVE_BASE_URL wins over PROD_URL, which wins over OI_BASE_URL', () => {
    const env = { OI_BASE_URL: 'http://oi.example', PROD_URL: 'http://prod.example' };
    assert.equal(resolveConfig({ file: { checks: {} }, env, kinds }).target.baseUrl, 'http://prod.example');
    assert.equal(resolveConfig({ file: { checks: {} }, env: { OI_BASE_URL: 'http://oi.example' }, kinds }).target.baseUrl, 'http://oi.example');
    assert.equal(resolveConfig({ file: { checks: {} }, env: { ...env, GOLIVE_BASE_URL: 'http://g.example' }, kinds }).target.baseUrl, 'http://g.example');
  });

  it('a malformed S4_TIMEOUT is a config error naming the variable', () => {
    const err = configError(() => resolveConfig({ file, env: { S4_TIMEOUT: 'soon' }, kinds }));
    assert.equal(err.issues[0]?.path, 'env.S4_TIMEOUT');
  });

  it('the stage4 preset takes PROD_URL, HEALTH_URL and S4_TIMEOUT from the environment', () => {
    const env = { PROD_URL: 'http://127.0.0.1:8000', HEALTH_URL: 'http://127.0.0.1:8000/healthz', S4_TIMEOUT: '3' };
    const c = resolveConfig({ env, cli: { preset: 'stage4' } });
    assert.equal(c.preset, 'stage4');
    assert.equal(c.compat, 'stage4');
    assert.deepEqual(Object.keys(c.checks), ['health', 'canary', 'security-headers', 'provider-config']);
    const health = c.checks.health?.options as Record<string, unknown>;
    const canary = c.checks.canary?.options as Record<string, unknown>;
    assert.equal(health.url, 'http://127.0.0.1:8000/healthz');
    assert.equal(canary.url, 'http://127.0.0.1:8000/healthz');
    assert.equal(health.timeoutMs, 3000);
    assert.equal(canary.count, 5);
    assert.equal(canary.intervalMs, 300);
    assert.equal(canary.sloMs, 1000);
  });

  it('HEALTH_URL alone gives the base URL (the stage 3 script accepted it without OI_BASE_URL)', () => {
    const c = resolveConfig({ env: { HEALTH_URL: 'http://10.0.0.5:8000/health' }, cli: { preset: 'stage3' } });
    assert.equal(c.target.baseUrl, 'http://10.0.0.5:8000/');
  });

  it('a file extending a preset overrides checks by id and merges options', () => {
    const c = resolveConfig({
      file: { preset: 'recommended', target: { baseUrl: 'http://x.example' }, checks: { canary: { options: { count: 20 } }, 'provider-config': { level: 'off' } } },
    });
    const canary = c.checks.canary;
    assert.equal((canary?.options as { count: number } | undefined)?.count, 20);
    assert.equal(canary?.kind, 'canary');
    assert.deepEqual(canary?.dependsOn, ['health']);
    assert.equal(c.checks['provider-config']?.level, 'off');
    assert.equal(c.source, 'preset:recommended');
  });

  it('an unknown preset is named with the known ones', () => {
    const err = configError(() => resolveConfig({ ...{ file: base }, cli: { preset: 'stage9' } }));
    assert.equal(err.code, 'GOLIVE_ERR_UNKNOWN_PRESET');
    assert.match(err.message, /recommended, contracts, stage4, stage3/);
  });

  it('every preset resolves against the registered kinds', () => {
    for (const name of Object.keys(PRESETS)) {
      const c = resolveConfig({ file: base, cli: { preset: name } });
      assert.ok(Object.keys(c.checks).length >= 4, name);
    }
    const noGate = resolveConfig({ file: base, cli: { preset: 'stage3' } });
    assert.deepEqual(
      noGate.stages.map((s) => s.name),
      ['smoke'],
    );
  });

  it('the stage3 preset adds the release gate stage when GOLIVE_RELEASE_GATE_COMMAND is set', () => {
    const s3 = resolveConfig({ file: base, cli: { preset: 'stage3' }, env: { GOLIVE_RELEASE_GATE_COMMAND: 'echo ok' } });
    assert.deepEqual(
      s3.stages.map((s) => s.name),
      ['smoke', 'release-gate'],
    );
  });
});

describe('loading config files', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'golive-config-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads .ts (default export), .yaml and .json to the same config', async () => {
    const obj = { target: { baseUrl: 'http://127.0.0.1:1' }, checks: { p: { kind: 't-probe', options: { count: 3 } } } };
    await writeFile(
      join(dir, 'golive.config.ts'),
      `import type { GoliveConfig } from '${join(process.cwd(), 'packages/golive/src/config/schema.ts')}';\nconst config: GoliveConfig = ${JSON.stringify(obj)};\nexport default config;\n`,
    );
    await writeFile(join(dir, 'a.yaml'), 'target:\n  baseUrl: http://127.0.0.1:1\nchecks:\n  p: { kind: t-probe, options: { count: 3 } }\n');
    await writeFile(join(dir, 'a.json'), JSON.stringify(obj));
    assert.equal(findConfigFile(dir), join(dir, 'golive.config.ts'));
    for (const f of ['golive.config.ts', 'a.yaml', 'a.json']) {
      const loaded = await loadConfigFile(f, dir);
      assert.deepEqual(loaded, obj, f);
      assert.equal((resolveConfig({ file: loaded, kinds }).checks.p?.options as { count: number } | undefined)?.count, 3);
    }
  });

  it('reports missing files, bad YAML and bad JSON as config errors', async () => {
    await writeFile(join(dir, 'bad.yaml'), 'checks: [unclosed\n');
    await writeFile(join(dir, 'bad.json'), '{"a":');
    await writeFile(join(dir, 'bad.ts'), 'export default {;\n');
    await assert.rejects(loadConfigFile('missing.yaml', dir), { code: 'GOLIVE_ERR_CONFIG_NOT_FOUND' });
    await assert.rejects(loadConfigFile('bad.yaml', dir), { code: 'GOLIVE_ERR_CONFIG_LOAD', message: /invalid YAML/ });
    await assert.rejects(loadConfigFile('bad.json', dir), { code: 'GOLIVE_ERR_CONFIG_LOAD', message: /invalid JSON/ });
    await assert.rejects(loadConfigFile('bad.ts', dir), { code: 'GOLIVE_ERR_CONFIG_LOAD', message: /import failed/ });
  });
});

describe('the contracts preset', () => {
  it('runs health, then the three mutating probes with the seeds’ defaults, and says the flag it needs', () => {
    const config = resolveConfig({ file: { target: { baseUrl: 'http://127.0.0.1:9' } }, cli: { preset: 'contracts' }, env: {} });
    assert.deepEqual(
      Object.fromEntries(Object.entries(config.checks).map(([id, c]) => [id, c.kind])),
      { health: 'health', webhook: 'webhook', idempotency: 'idempotency', 'rate-limit': 'rate-limit' },
    );
    assert.deepEqual(
      config.stages.map((s) => [s.name, s.checks]),
      [
        ['smoke', ['health']],
        ['contracts', ['webhook', 'idempotency', 'rate-limit']],
      ],
    );
    assert.equal((config.checks.webhook?.options as { path?: string } | undefined)?.path, '/api/stripe/webhook');
    assert.match(PRESETS.contracts?.description ?? '', /--allow-mutation/);
  });
});
