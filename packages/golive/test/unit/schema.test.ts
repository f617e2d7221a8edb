import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Ajv2020 from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { builtinChecks } from '../../src/checks/registry.ts';
import { defineCheck, observe } from '../../src/checks/types.ts';
import { configJsonSchema } from '../../src/index.ts';
import { resolveConfig } from '../../src/index.ts';
import { CheckError } from '../../src/core/errors.ts';
import type { Report } from '../../src/core/result.ts';
import { renderJson } from '../../src/reporters/json.ts';
import { reportJsonSchema, reportSchema } from '../../src/reporters/report-schema.ts';
import { runGate } from '../../src/runner/run-gate.ts';

const root = new URL('../../../../', import.meta.url).pathname;
const schemaDir = join(root, 'packages/golive/schema');
// The config schema includes every kind's options: changing a kind's options schema changes it. The file is
// generated, never edited by hand; anyone changing options regenerates it in the same commit.
const REGENERATE = 'run `node packages/golive/schema/generate.ts` and commit packages/golive/schema/';

async function committed(name: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(schemaDir, name), 'utf8')) as Record<string, unknown>;
}

function validator(schema: Record<string, unknown>) {
  const Ajv = Ajv2020 as unknown as new (opts: Record<string, unknown>) => {
    compile(s: unknown): ((data: unknown) => boolean) & { errors?: unknown };
  };
  return new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(schema);
}

const mixed = defineCheck({
  kind: 't-mixed',
  title: 'Mixed',
  description: 'Gives each status by option.',
  options: z.object({ as: z.enum(['pass', 'fail', 'error']).default('pass') }).strict(),
  async run(_ctx, o) {
    if (o.as === 'error') throw new CheckError('GOLIVE_ERR_CHECK_OPTIONS', 'unusable');
    return {
      observations: [observe('x', o.as === 'pass', 'a', 'b', { code: 'X_FAIL' }), observe('w', false, 'c', 'd', { severity: 'warn' })],
      metrics: { p95Ms: 1.5, ok: true, note: 'n', none: null },
      data: { samples: [{ code: 200, latencyMs: 1.5 }], nested: { a: [1, 'b', null, true] } },
    };
  },
});

describe('published schemas', () => {
  it('packages/golive/schema/config.schema.json is current', async () => {
    assert.deepEqual(await committed('config.schema.json'), JSON.parse(JSON.stringify(configJsonSchema())), `config schema is stale: ${REGENERATE}`);
  });

  it('packages/golive/schema/report.schema.json is current', async () => {
    assert.deepEqual(await committed('report.schema.json'), JSON.parse(JSON.stringify(reportJsonSchema())), `report schema is stale: ${REGENERATE}`);
  });
});

describe('a real report against the published report schema', () => {
  let dir: string;
  let report: Report;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'golive-schema-'));
    const config = resolveConfig({
      file: {
        target: { baseUrl: 'http://127.0.0.1:9' },
        checks: { a: { kind: 't-mixed' }, b: { kind: 't-mixed', options: { as: 'fail' } }, c: { kind: 't-mixed', options: { as: 'error' } }, d: { kind: 't-mixed', dependsOn: ['b'] } },
      },
      kinds: [mixed],
    });
    report = await runGate(config, { env: {}, out: dir, kinds: [mixed] });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('covers every status and validates, as rendered by the json reporter', async () => {
    assert.deepEqual(
      report.stages[0]?.checks.map((c) => c.status),
      ['pass', 'fail', 'error', 'skip'],
    );
    const validate = validator(await committed('report.schema.json'));
    const doc = JSON.parse(renderJson(report));
    assert.equal(validate(doc), true, JSON.stringify(validate.errors));
    assert.equal(reportSchema.safeParse(doc).success, true);
  });

  it('rejects a document that breaks the contract', async () => {
    const validate = validator(await committed('report.schema.json'));
    const doc = JSON.parse(renderJson(report));
    doc.stages[0].checks[0].status = 'maybe';
    assert.equal(validate(doc), false);
    const doc2 = JSON.parse(renderJson(report));
    delete doc2.stages[0].checks[2].error;
    assert.equal(validate(doc2), false);
    // label and release (1.1.0): present, the release a string or null.
    const doc3 = JSON.parse(renderJson(report));
    assert.deepEqual([doc3.label, doc3.release], ['inline config', null]);
    for (const change of [{ label: undefined }, { release: undefined }, { release: 5 }, { label: null }]) {
      const broken = JSON.parse(JSON.stringify({ ...doc3, ...change }));
      assert.equal(validate(broken), false, JSON.stringify(change));
      assert.equal(reportSchema.safeParse(broken).success, false, JSON.stringify(change));
    }
  });

  it('pairs each verdict with its exit code: GO with exit 1, or exit 42, does not validate', async () => {
    const validate = validator(await committed('report.schema.json'));
    const base = JSON.parse(renderJson(report));
    assert.equal(base.verdict, 'NO-GO');
    for (const [verdict, exitCode, ok] of [
      ['GO', 0, true],
      ['NO-GO', 1, true],
      ['INCONCLUSIVE', 3, true],
      ['GO', 1, false],
      ['NO-GO', 0, false],
      ['INCONCLUSIVE', 2, false],
      ['NO-GO', 42, false],
    ] as const) {
      const doc = { ...base, verdict, exitCode };
      assert.equal(validate(doc), ok, `${verdict} exit ${exitCode} (JSON Schema)`);
      assert.equal(reportSchema.safeParse(doc).success, ok, `${verdict} exit ${exitCode} (zod)`);
    }
  });
});

describe('the example configs against the published config schema', () => {
  it('the YAML and JSON examples validate', async () => {
    const validate = validator(await committed('config.schema.json'));
    for (const f of ['examples/stage-pipeline.golive.config.yaml', 'examples/stage4.golive.config.json']) {
      const text = await readFile(join(root, f), 'utf8');
      const doc = f.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
      // An example naming a kind golive does not register is a broken example, not one to pass over.
      const unknown = Object.values(doc.checks as Record<string, { kind: string }>)
        .map((c) => c.kind)
        .filter((k) => !builtinChecks.some((b) => b.kind === k));
      assert.deepEqual(unknown, [], `${f} names kinds that are not registered`);
      assert.equal(validate(doc), true, `${f}: ${JSON.stringify(validate.errors)}`);
      // The schema and the resolver agree.
      assert.doesNotThrow(() => resolveConfig({ file: doc, env: {} }), f);
    }
    const bad = validator(await committed('config.schema.json'));
    assert.equal(bad({ checks: { h: { kind: 'health', options: { nope: 1 } } } }), false);
  });
});
