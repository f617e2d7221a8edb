/**
 * The `startup` drill with real child processes: a service that validates its environment passes; one that
 * starts without a required variable, exits 0, does not name the variable or prints a secret fails on that.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { namesVariable } from '../../src/checks/startup.ts';
import type { CheckResult } from '../../src/core/result.ts';
import { resolveConfig } from '../../src/index.ts';
import { runGate } from '../../src/runner/run-gate.ts';

const SECRET = 'sk_live_startupsecret0123456789';
const SERVICE = `
import http from 'node:http';
const flaw = process.env.FLAW ?? '';
const problems = [];
for (const v of ['DB_URL', 'SECRET_KEY']) if (!process.env[v] && flaw !== 'ignore') problems.push(v);
if (process.env.DB_URL && !process.env.DB_URL.startsWith('postgres://') && flaw !== 'ignore') problems.push('DB_URL');
if (problems.length) {
  if (flaw === 'leak') console.error('config: SECRET_KEY=' + process.env.SECRET_KEY);
  console.error(flaw === 'vague' ? 'configuration error' : 'invalid configuration: ' + problems.join(', '));
  process.exit(flaw === 'exit0' ? 0 : 1);
}
const s = http.createServer((req, res) => res.end('{"status":"ok"}'));
s.listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + s.address().port));
process.on('SIGTERM', () => s.close(() => process.exit(0)));
`;

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'golive-startup-'));
  await writeFile(join(dir, 'service.mjs'), SERVICE);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function drill(flaw: string): Promise<CheckResult> {
  const env = { DB_URL: 'postgres://app@db/app', SECRET_KEY: SECRET, FLAW: flaw };
  const config = resolveConfig({
    file: {
      target: { start: { command: [process.execPath, join(dir, 'service.mjs')], env, timeoutMs: 10_000 } },
      checks: {
        boot: {
          kind: 'startup',
          options: { env: { DATA: '{tmpDir}/data' }, required: ['DB_URL', 'SECRET_KEY'], invalid: [{ variable: 'DB_URL', value: 'mysql://nope' }], timeoutMs: 5000 },
        },
      },
    },
    env: {},
  });
  const report = await runGate(config, { env: {}, out: join(dir, `out-${flaw || 'good'}`) });
  const r = report.stages[1]?.checks[0];
  assert.ok(r);
  return r;
}

const codesOf = (r: CheckResult) => [...new Set(r.observations.filter((o) => !o.passed).map((o) => o.code))];

describe('startup drill', () => {
  it('a service that refuses each bad environment, naming the variable, passes; outputs are artifacts', async () => {
    const r = await drill('');
    assert.equal(r.status, 'pass', JSON.stringify(r.observations.filter((o) => !o.passed)));
    const cases = (r.data as { cases: Array<{ case: string; verdict: string; exitCode: number | null }> }).cases;
    assert.deepEqual(
      cases.map((c) => [c.case, c.verdict]),
      [
        ['control', 'pass'],
        ['missing:DB_URL', 'pass'],
        ['missing:SECRET_KEY', 'pass'],
        ['invalid:DB_URL', 'pass'],
      ],
    );
    const log = await readFile(join(dir, 'out-good', r.artifacts.find((a) => a.includes('missing_SECRET_KEY')) ?? 'none'), 'utf8');
    assert.match(log, /invalid configuration: SECRET_KEY/);
  });

  it('a service that starts without its variables fails STARTUP_STARTED_ANYWAY', async () => {
    assert.deepEqual(codesOf(await drill('ignore')), ['STARTUP_STARTED_ANYWAY']);
  });

  it('a service that exits 0 on a bad environment fails STARTUP_EXIT_ZERO', async () => {
    assert.deepEqual(codesOf(await drill('exit0')), ['STARTUP_EXIT_ZERO']);
  });

  it('a refusal that does not name the variable fails STARTUP_VARIABLE_NOT_NAMED', async () => {
    assert.deepEqual(codesOf(await drill('vague')), ['STARTUP_VARIABLE_NOT_NAMED']);
  });

  it('a refusal that prints a secret fails STARTUP_SECRET_PRINTED, and the secret is in no artifact', async () => {
    const r = await drill('leak');
    assert.deepEqual(codesOf(r), ['STARTUP_SECRET_PRINTED']);
    for (const a of r.artifacts) assert.ok(!(await readFile(join(dir, 'out-leak', a), 'utf8')).includes(SECRET), a);
  });

  it('names a variable as a word only', () => {
    assert.equal(namesVariable('missing: database_url', 'DATABASE_URL'), true);
    assert.equal(namesVariable('DATABASE_URL_REPLICA is unset', 'DATABASE_URL'), false);
  });
});
