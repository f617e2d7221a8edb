/**
 * Planted secrets: secret values in the environment, in a target header and in a declared variable; a server
 * that echoes every one of them back (in bodies and headers), a failing check whose evidence quotes the body,
 * and a release gate command that prints them. None may appear in stdout, stderr or any file written.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertBuilt, assertNoStack, golive, healthyHandler, serve, type TestServer } from './helpers.ts';

const SECRETS = {
  STRIPE_SECRET_KEY: 'sk_live_51PlantedSecretKeyValue0000',
  STRIPE_WEBHOOK_SECRET: 'whsec_PlantedWebhookSigningSecret42',
  STRIPE_SIGNING_SECRET: 'whsec_AnotherPlantedSigningSecret7',
  DATABASE_URL: 'postgres://app:Pl4ntedDbPassw0rd@db.internal:5432/app',
  // A name and value that look harmless: only the config's `secrets` list makes it secret.
  PARTNER_REF: 'partner-ref-9f8e7d6c5b4a',
};
const BEARER = 'tok_PlantedBearerToken_abcdef123456';
const planted = [...Object.values(SECRETS), BEARER, 'Pl4ntedDbPassw0rd'];

let dir: string;
let server: TestServer;
const seenAuth: string[] = [];
before(async () => {
  assertBuilt();
  dir = await mkdtemp(join(tmpdir(), 'golive-secrets-'));
  // Echoes the request's Authorization header and every planted value, in the body and in headers.
  const echo = JSON.stringify(SECRETS);
  server = await serve(
    healthyHandler({
      '/health': (req, res) => {
        seenAuth.push(String(req.headers.authorization));
        res.setHeader('content-type', 'application/json');
        res.setHeader('x-echo-auth', String(req.headers.authorization));
        res.end(JSON.stringify({ status: 'ok', auth: req.headers.authorization, env: SECRETS }));
      },
      '/echo': (req, res) => {
        res.statusCode = 500;
        res.setHeader('content-type', 'application/json');
        res.setHeader('set-cookie', `session=${BEARER}`);
        res.end(`{"error":"boom","auth":"${req.headers.authorization}","leak":${echo}}`);
      },
      'POST /api/stripe/webhook': (req, res) => {
        let body = '';
        req.on('data', (c) => {
          body += c;
        });
        req.on('end', () => {
          // Accepts the unsigned event (a failure) and echoes secrets in the evidence.
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ received: body, key: SECRETS.STRIPE_SECRET_KEY, auth: req.headers.authorization }));
        });
      },
    }),
  );
});
after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

async function filesUnder(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(join(e.parentPath, e.name));
  }
  return out;
}

function assertClean(label: string, text: string): void {
  for (const s of planted) assert.ok(!text.includes(s), `${label} contains the planted secret ${s.slice(0, 8)}…`);
}

describe('planted secrets', () => {
  it('appear in no output and no artifact of a failing stage3 run with a release gate', async () => {
    const cwd = await mkdtemp(join(dir, 'run-'));
    const config = join(cwd, 'golive.config.yaml');
    await writeFile(
      config,
      [
        'preset: stage3',
        'secrets: [PARTNER_REF]',
        'checks:',
        '  echo:',
        '    kind: http',
        '    options: { path: /echo, expect: { status: 200 } }',
        '  health-echo:',
        '    kind: health',
        '    options: { path: /health }',
        '',
      ].join('\n'),
    );
    const stepSummary = join(cwd, 'step-summary.md');
    const env: Record<string, string> = {
      ...SECRETS,
      OI_BASE_URL: server.url,
      GITHUB_STEP_SUMMARY: stepSummary,
      // The release gate prints the whole environment and a secret on stderr: its kept output must be redacted.
      GOLIVE_RELEASE_GATE_COMMAND: `${JSON.stringify(process.execPath)} -e "console.log(JSON.stringify(process.env)); console.error('key=' + process.env.STRIPE_SECRET_KEY); process.exit(1)"`,
    };
    const run = await golive(['run', '--verbose', '-H', `Authorization: Bearer ${BEARER}`], { cwd, env });
    assert.equal(run.code, 1, `${run.stdout}\n${run.stderr}`);
    assertNoStack(run.stderr);
    // The secrets really travelled: the bearer reached the server and the evidence was redacted, not absent.
    assert.ok(seenAuth.includes(`Bearer ${BEARER}`));
    assert.match(run.stdout, /\[REDACTED\]/);
    assertClean('stdout', run.stdout);
    assertClean('stderr', run.stderr);
    const files = (await filesUnder(cwd)).filter((f) => f !== config);
    assert.ok(files.some((f) => f.endsWith('report.json')));
    assert.ok(files.some((f) => f.endsWith('qa/stage3/v0.3.0/summary.json')));
    assert.ok(files.includes(stepSummary));
    assert.ok(files.some((f) => f.endsWith('release_gate_stdout.txt')));
    assert.ok(files.some((f) => f.endsWith('release_gate_stderr.txt')));
    for (const f of files) assertClean(f, await readFile(f, 'utf8'));
    const report = await readFile(join(cwd, 'golive-report/report.json'), 'utf8');
    assert.match(report, /\[REDACTED\]/);
  });

  it('appear nowhere in a stage4 run that reports provider settings, nor in usage errors', async () => {
    const cwd = await mkdtemp(join(dir, 's4-'));
    const { PARTNER_REF: _undeclared, ...envSecrets } = SECRETS;
    const run = await golive(['run', '--preset', 'stage4', '-H', `Authorization: Bearer ${BEARER}`], {
      cwd,
      env: { ...envSecrets, PROD_URL: server.url, EXPECT_LIVE: '1' },
    });
    assert.ok(run.code === 0 || run.code === 1, `${run.stdout}\n${run.stderr}`);
    const declared = [...Object.values(envSecrets), BEARER];
    const clean = (label: string, text: string) => {
      for (const s of declared) assert.ok(!text.includes(s), `${label} contains ${s.slice(0, 8)}…`);
    };
    clean('stdout', run.stdout);
    clean('stderr', run.stderr);
    for (const f of await filesUnder(cwd)) clean(f, await readFile(f, 'utf8'));
    // Usage errors quote what was given: an environment secret pasted as the URL is still redacted.
    const bad = await golive(['check', SECRETS.STRIPE_SECRET_KEY], { cwd, env: envSecrets });
    assert.equal(bad.code, 2);
    assertNoStack(bad.stderr);
    assert.match(bad.stderr, /GOLIVE_ERR_INVALID_URL: .*\[REDACTED\]/);
    clean('usage stderr', bad.stderr);
    const badFlag = await golive(['check', server.url, '--timeout', 'soon', '-H', `Authorization: Bearer ${BEARER}`], { cwd, env: envSecrets });
    assert.equal(badFlag.code, 2);
    clean('usage stderr', badFlag.stderr);
  });
});
