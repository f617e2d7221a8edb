/**
 * The seed failures end to end: one small server per failure the stage 3 / stage 4 scripts were meant to
 * catch (or missed), the built CLI against it, and the exit code, the failing check and its evidence
 * asserted. Every case ends in bounded time (the CLI run is killed after 60 s at worst).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { serverPool } from '../helpers/check-servers.ts';
import { assertBuilt, assertNoStack, type CliRun, golive, healthyHandler } from './helpers.ts';

let dir: string;
const { serve: server } = serverPool();
before(async () => {
  assertBuilt();
  dir = await mkdtemp(join(tmpdir(), 'golive-seed-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The line of the final table for a check. */
function row(run: CliRun, id: string): string {
  const line = run.stdout.split('\n').find((l) => new RegExp(`^(PASS|FAIL|ERROR|SKIP)\\s+\\S+\\s+${id}\\s`).test(l));
  assert.ok(line, `no table row for ${id} in:\n${run.stdout}`);
  return line;
}

function assertNoGo(run: CliRun, failing: string, evidence: RegExp): void {
  assert.equal(run.code, 1, `exit code ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
  assertNoStack(run.stderr);
  assert.match(row(run, failing), /^FAIL/);
  const section = run.stdout.slice(run.stdout.indexOf('Evidence:'));
  assert.match(section, new RegExp(`${failing} FAIL`), run.stdout);
  assert.match(section, evidence, run.stdout);
  assert.match(run.stdout, /NO-GO: .*\(exit 1\)/);
}

const check = (url: string, ...extra: string[]) => golive(['check', url, '--out', join(dir, 'out'), ...extra], { cwd: dir });

describe('seed failures through `golive check` / `golive run`', () => {
  it('a healthy service is GO (exit 0)', async () => {
    const url = await server(healthyHandler());
    const run = await check(url);
    assert.equal(run.code, 0, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
    assertNoStack(run.stderr);
    for (const id of ['health', 'canary', 'security-headers']) assert.match(row(run, id), /^PASS/);
    assert.match(run.stdout, /GO: 4 passed, 0 failed/);
  });

  it('health answers 500 → NO-GO naming health and the status', async () => {
    const url = await server(
      healthyHandler({
        '/health': (_req, res) => {
          res.statusCode = 500;
          res.end('{"status":"error"}');
        },
      }),
    );
    const run = await check(url);
    assertNoGo(run, 'health', /HEALTH_STATUS.*500/);
    assert.match(row(run, 'canary'), /^SKIP .*dependency "health" did not pass/);
  });

  it('health is not JSON → NO-GO with a body excerpt', async () => {
    const url = await server(
      healthyHandler({
        '/health': (_req, res) => {
          res.setHeader('content-type', 'text/html');
          res.end('<html>It works!</html>');
        },
      }),
    );
    assertNoGo(await check(url), 'health', /HEALTH_NOT_JSON.*It works!/);
  });

  it('health says {"status":"degraded"} → NO-GO', async () => {
    const url = await server(
      healthyHandler({
        '/health': (_req, res) => {
          res.setHeader('content-type', 'application/json');
          res.end('{"status":"degraded"}');
        },
      }),
    );
    assertNoGo(await check(url), 'health', /degraded/);
  });

  it('one slow ping in five under a 100 ms SLO → NO-GO (the seed formula passed it)', async () => {
    let healthHits = 0;
    const url = await server(
      healthyHandler({
        '/health': (_req, res) => {
          healthHits++;
          // Hit 1 is the health check; hits 2-6 are the canary's five pings: the third ping is slow.
          const delay = healthHits === 4 ? 900 : 0;
          setTimeout(() => {
            res.setHeader('content-type', 'application/json');
            res.end('{"status":"ok"}');
          }, delay);
        },
      }),
    );
    const cfg = join(dir, 'slo.yaml');
    await writeFile(cfg, 'preset: recommended\nchecks:\n  canary: { options: { sloMs: 100, intervalMs: 50 } }\n');
    const run = await check(url, '--config', cfg);
    assertNoGo(run, 'canary', /CANARY_SLO/);
    assert.match(row(run, 'canary'), /5\/5 ok, p95 (9\d\d|1\d\d\d)(\.\d+)? ms \(max/);
  });

  it('no CSP on / → NO-GO naming security-headers', async () => {
    const url = await server(healthyHandler({}, { securityHeaders: false }));
    const run = await check(url);
    assertNoGo(run, 'security-headers', /CSP/);
  });

  it('the webhook accepts an unsigned POST (stage3 preset) → NO-GO naming the webhook check', async () => {
    const url = await server(
      healthyHandler({
        'POST /api/stripe/webhook': (req, res) => {
          req.resume();
          res.setHeader('content-type', 'application/json');
          res.end('{"received":true}');
        },
      }),
    );
    const run = await golive(['run', '--preset', 'stage3', '--url', url, '--out', join(dir, 'out3')], { cwd: dir });
    assertNoGo(run, 'stripe-webhook', /POST .*\/api\/stripe\/webhook.*200/);
    for (const id of ['health', 'auth-csrf', 'security-csrf', 'notify-outbox']) assert.match(row(run, id), /^PASS/);
  });

  it('a server that never answers → NO-GO at the request timeout, in bounded time', async () => {
    const url = await server(() => {
      // accept the connection, never answer
    });
    const run = await check(url, '--timeout', '500ms');
    assertNoGo(run, 'health', /timeout/);
    assert.ok(run.durationMs < 30_000, `took ${run.durationMs} ms`);
  });

  it('a 2 GB health body streamed lazily → NO-GO in bounded time and memory', async () => {
    let sent = 0;
    const url = await server(
      healthyHandler({
        '/health': (_req, res) => {
          const total = 2 * 1024 ** 3;
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(total) });
          const chunk = Buffer.alloc(64 * 1024, 0x20);
          const body = new Readable({
            read() {
              if (sent >= total) return void this.push(null);
              sent += chunk.length;
              this.push(chunk);
            },
          });
          body.pipe(res);
          res.on('close', () => body.destroy());
        },
      }),
    );
    const run = await check(url);
    assertNoGo(run, 'health', /HEALTH_BODY_TOO_LARGE|truncated|over/);
    assert.ok(sent < 256 * 1024 ** 2, `the server sent ${sent} bytes: the body was not cut`);
  });
});
