/**
 * Planted secrets: secret values in the environment, in a target header and in a declared variable; a server
 * that echoes every one of them back (in bodies and headers), a failing check whose evidence quotes the body,
 * and a release gate command that prints them. None may appear in stdout, stderr or any file written.
 * Also: URL userinfo (--url, PROD_URL, a URL a managed target prints), secrets as JSON object keys, secrets in
 * their JSON- and URL-escaped forms, and plain-text credential headers of `golive load`.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertBuilt, assertNoStack, GOOD_HEADERS, golive, healthyHandler, serve, type TestServer } from './helpers.ts';

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

/**
 * Every form a planted value may leak in: as is, JSON-escaped (once and twice), URL-encoded, and for a password
 * also decoded. Each test asserts on a distinctive tail that every form shares, so no form can slip through.
 */
function assertNoTail(label: string, text: string, tails: readonly string[]): void {
  for (const t of tails) assert.ok(!text.includes(t), `${label} contains the planted value …${t}`);
}

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
    // The run history too (its run file, history.json, index.html and the copied HTML report), with a secret
    // planted in the release, which every one of them shows.
    const run = await golive(['run', '--verbose', '-H', `Authorization: Bearer ${BEARER}`, '--history', 'hist', '--release', `v1-${SECRETS.STRIPE_SECRET_KEY}`], { cwd, env });
    assert.equal(run.code, 1, `${run.stdout}\n${run.stderr}`);
    assertNoStack(run.stderr);
    // The secrets really travelled: the bearer reached the server and the evidence was redacted, not absent.
    assert.ok(seenAuth.includes(`Bearer ${BEARER}`));
    assert.match(run.stdout, /\[REDACTED\]/);
    assertClean('stdout', run.stdout);
    assertClean('stderr', run.stderr);
    const files = (await filesUnder(cwd)).filter((f) => f !== config);
    assert.ok(files.some((f) => f.endsWith('report.json')));
    assert.ok(files.some((f) => f.endsWith('report.html')));
    assert.ok(files.some((f) => f.endsWith('qa/stage3/v0.3.0/summary.json')));
    assert.ok(files.includes(stepSummary));
    assert.ok(files.some((f) => f.endsWith('release_gate_stdout.txt')));
    assert.ok(files.some((f) => f.endsWith('release_gate_stderr.txt')));
    for (const name of ['hist/index.html', 'hist/history.json', '/report.html']) assert.ok(files.some((f) => f.endsWith(name)), name);
    assert.ok(files.some((f) => f.includes('/hist/runs/')));
    assert.ok(files.some((f) => f.includes('/hist/reports/')));
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

  // Distinctive tails of the values below: a leak in any encoding still contains the tail.
  const ESCAPED = 'pa"ss\\x-EscapedPlanted55'; // JSON: pa\"ss\\x-…, URL: pa%22ss%5Cx-…
  const KEY_SECRET = 'whsec_KeyPlantedInBody99';
  const PRINTED_PASSWORD = 'Pr1nted@PassTail77'; // printed by the managed target percent-encoded
  const TAILS = ['EscapedPlanted55', 'KeyPlantedInBody99', 'PassTail77', 'Pr1nted'];

  for (const mode of ['first', 'later'] as const) {
  it(`URL userinfo printed by a managed target (${mode === 'first' ? 'as its base URL' : 'besides its base URL'}), secrets as object keys and in escaped forms: in no output of a stage3 run`, async () => {
    const cwd = await mkdtemp(join(dir, 'managed-'));
    // The managed target: prints its URL with credentials and the secrets (its log is an artifact), and echoes
    // secrets as JSON keys and JSON-escaped values in the bodies the checks quote.
    await writeFile(
      join(cwd, 'target.mjs'),
      `import http from 'node:http';
const headers = ${JSON.stringify(GOOD_HEADERS)};
const token = process.env.API_TOKEN;
const server = http.createServer((req, res) => {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader('content-type', 'application/json');
  if (req.url === '/health') return res.end(JSON.stringify({ status: 'ok', ['env:' + process.env.SIGNING_KEY]: 1, echo: token }));
  res.statusCode = 500;
  res.end(JSON.stringify({ [process.env.SIGNING_KEY]: token, q: encodeURIComponent(token), again: JSON.stringify({ token }) }));
});
server.listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  const withPassword = 'http://admin:' + encodeURIComponent(${JSON.stringify(PRINTED_PASSWORD)}) + '@127.0.0.1:' + port;
  // first: golive learns its base URL from the first URL printed, here the one with the password
  if (process.env.PRINT_MODE === 'first') console.log('listening on ' + withPassword);
  else console.log('listening on http://127.0.0.1:' + port + '; admin console at ' + withPassword + '/admin');
  console.log('token ' + JSON.stringify({ token }) + ' key ' + process.env.SIGNING_KEY);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`,
    );
    await writeFile(
      join(cwd, 'golive.config.yaml'),
      [
        'preset: stage3',
        'target:',
        `  start: { command: [${JSON.stringify(process.execPath)}, target.mjs], readyUrl: /health, timeoutMs: 20000 }`,
        'checks:',
        '  echo:',
        '    kind: http',
        '    options: { path: /echo, expect: { status: 200, json: { missing: { exists: true } } } }',
        '  health-echo:',
        '    kind: health',
        '    options: { path: /health }',
        '',
      ].join('\n'),
    );
    const stepSummary = join(cwd, 'step-summary.md');
    const env = { API_TOKEN: ESCAPED, SIGNING_KEY: KEY_SECRET, GITHUB_STEP_SUMMARY: stepSummary, PRINT_MODE: mode };
    const run = await golive(['run', '--verbose'], { cwd, env });
    assert.equal(run.code, 1, `${run.stdout}\n${run.stderr}`);
    assertNoStack(run.stderr);
    assert.match(run.stdout, /target ready at http:\/\/127\.0\.0\.1:\d+/);
    assertNoTail('stdout', run.stdout, TAILS);
    assertNoTail('stderr', run.stderr, TAILS);
    const files = await filesUnder(cwd);
    for (const name of ['report.json', 'report.html', 'summary.md', 'junit.xml', 'target.log', 'qa/stage3/v0.3.0/tests.txt', 'qa/stage3/v0.3.0/summary.json', 'step-summary.md']) {
      assert.ok(files.some((f) => f.endsWith(name)), `${name} written`);
    }
    for (const f of files.filter((x) => !x.endsWith('target.mjs'))) assertNoTail(f, await readFile(f, 'utf8'), TAILS);
    // The evidence is still there, redacted rather than dropped: the log kept its lines, the report its keys.
    const log = await readFile(files.find((f) => f.endsWith('target.log')) ?? '', 'utf8');
    assert.match(log, mode === 'first' ? /listening on http:\/\/127\.0\.0\.1:\d+/ : /admin console at http:\/\/127\.0\.0\.1:\d+\/admin/);
    const report = await readFile(join(cwd, 'golive-report/report.json'), 'utf8');
    assert.match(report, /env:\[REDACTED\]/);
    assert.match(report, /"baseUrl": "http:\/\/127\.0\.0\.1:\d+\/?"/);
  });
  }

  it('a password in --url or PROD_URL (plain and percent-encoded) is in no output, report or step summary', async () => {
    const port = new URL(server.url).port;
    for (const [label, password, args, extraEnv] of [
      ['--url', 'Plain-UrlPassTail88', (u: string) => ['check', '--url', u, '--verbose'], {}],
      ['check <url>', 'Enc@d:UrlPassTail88', (u: string) => ['check', u], {}],
      ['PROD_URL', 'Prod%UrlPassTail88', () => ['run', '--preset', 'stage4'], { EXPECT_LIVE: '1' }],
    ] as const) {
      const cwd = await mkdtemp(join(dir, 'userinfo-'));
      const url = `http://golive:${encodeURIComponent(password)}@127.0.0.1:${port}`;
      const stepSummary = join(cwd, 'step-summary.md');
      const env: Record<string, string> = { GITHUB_STEP_SUMMARY: stepSummary, ...extraEnv };
      if (label === 'PROD_URL') env.PROD_URL = url;
      const run = await golive([...args(url)], { cwd, env });
      assert.ok(run.code === 0 || run.code === 1 || run.code === 3, `${label}: ${run.stdout}\n${run.stderr}`);
      assertNoStack(run.stderr);
      const tails = ['UrlPassTail88'];
      assertNoTail(`${label} stdout`, run.stdout, tails);
      assertNoTail(`${label} stderr`, run.stderr, tails);
      // The user name is not a secret: output still says "golive", not [REDACTED].
      assert.match(run.stdout, /golive \d+\.\d+\.\d+/, label);
      const files = await filesUnder(cwd);
      assert.ok(files.some((f) => f.endsWith('report.json')) && files.includes(stepSummary), `${label}: reports written`);
      for (const f of files) assertNoTail(`${label} ${f}`, await readFile(f, 'utf8'), tails);
      const report = JSON.parse(await readFile(join(cwd, 'golive-report/report.json'), 'utf8')) as { target: { baseUrl: string } };
      assert.match(report.target.baseUrl, new RegExp(`^http://127\\.0\\.0\\.1:${port}/?$`), label);
    }
  });

  it('plain-text credential headers of golive load are in no error sample, summary or result file', async () => {
    const cwd = await mkdtemp(join(dir, 'load-'));
    const echo = await serve((req, res) => {
      req.resume();
      // Every request fails, quoting the credentials it received: the error samples carry the body.
      res.statusCode = 500;
      res.end(`denied: auth=${req.headers.authorization} partner=${req.headers['x-partner-token']} sig=${req.headers['stripe-signature']}`);
    });
    try {
      const headers = ['-H', 'authorization: Bearer PlainLoadToken-Tail66', '-H', 'X-Partner-Token: partner-LoadTail66', '-H', 'stripe-signature: t=1,v1=SigLoadTail66'];
      const out = join(cwd, 'result.json');
      const summary = await golive(['load', `${echo.url}/x`, '-n', '40', '-c', '2', '--warmup', '0', '--no-abort', '-o', out, ...headers], { cwd });
      const json = await golive(['load', `${echo.url}/x`, '-n', '40', '-c', '2', '--warmup', '0', '--no-abort', '--json', '--transport', 'undici', ...headers], { cwd });
      for (const r of [summary, json]) {
        assert.ok(r.code === 0 || r.code === 1 || r.code === 3, `${r.stdout}\n${r.stderr}`);
        assertNoStack(r.stderr);
        assertNoTail('load stdout', r.stdout, ['LoadTail66']);
        assertNoTail('load stderr', r.stderr, ['LoadTail66']);
      }
      assert.match(json.stdout, /HTTP 500: denied: auth=\[REDACTED\]/, 'the error samples are kept, redacted');
      assertNoTail('result.json', await readFile(out, 'utf8'), ['LoadTail66']);
    } finally {
      await echo.close();
    }
  });
});
