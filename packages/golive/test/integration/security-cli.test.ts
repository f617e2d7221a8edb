/**
 * The security kinds through the built CLI: a config with security-headers, exposure and tls against a weak
 * server exits 1 (NO-GO) naming the headers and the exposed file; against a hardened one it exits 0; a typo in
 * a waiver date is a config error (exit 2). No stack trace reaches the user.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HELMET_DEFAULTS } from '../fixtures/well-known-header-sets.ts';
import { assertBuilt, assertNoStack, golive, serve, type TestServer } from '../cli/helpers.ts';

const { 'strict-transport-security': _hsts, ...GOOD } = HELMET_DEFAULTS;

describe('security kinds through `golive run`', () => {
  let weak: TestServer;
  let good: TestServer;
  let dir = '';
  before(async () => {
    assertBuilt();
    dir = await mkdtemp(join(tmpdir(), 'golive-security-cli-'));
    weak = await serve((req, res) => {
      if (req.url === '/.git/config') {
        res.end('[core]\n\tbare = false\n');
        return;
      }
      res.statusCode = req.url === '/' ? 200 : 404;
      res.setHeader('content-type', 'text/html');
      res.setHeader('content-security-policy', "default-src * 'unsafe-inline' 'unsafe-eval'");
      res.setHeader('x-powered-by', 'Express');
      res.end('<html><body>weak</body></html>');
    });
    good = await serve((req, res) => {
      res.statusCode = req.url === '/' ? 200 : 404;
      res.setHeader('content-type', 'text/html');
      for (const [k, v] of Object.entries(GOOD)) res.setHeader(k, v);
      res.end('<html><body>good</body></html>');
    });
  });
  after(async () => {
    await weak?.close();
    await good?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function config(name: string, body: unknown): Promise<string> {
    const file = join(dir, name);
    await writeFile(file, JSON.stringify(body));
    return file;
  }

  const checks = {
    headers: { kind: 'security-headers', options: { minGrade: 'A' } },
    exposure: { kind: 'exposure' },
    tls: { kind: 'tls' },
  };

  it('weak server → exit 1 naming the headers and the exposed file', async () => {
    const file = await config('weak.json', { target: { baseUrl: weak.url }, checks });
    const r = await golive(['run', '--config', file, '--out', join(dir, 'out-weak'), '--reporter', 'console,json']);
    assertNoStack(r.stderr);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /headers/);
    assert.match(r.stdout, /unsafe-inline|GRADE_BELOW_MINIMUM|grade [A-F]/);
    assert.match(r.stdout, /\.git\/config/);
  });

  it('hardened server → exit 0', async () => {
    const file = await config('good.json', { target: { baseUrl: good.url }, checks });
    const r = await golive(['run', '--config', file, '--out', join(dir, 'out-good'), '--reporter', 'console']);
    assertNoStack(r.stderr);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  it('a waiver with a malformed date is a config error (exit 2) naming the field', async () => {
    const file = await config('bad.json', {
      target: { baseUrl: good.url },
      checks: { headers: { kind: 'security-headers', options: { waivers: [{ rule: 'CSP_STYLE_UNSAFE_INLINE', until: '31/12/2026', reason: 'legacy' }] } } },
    });
    const r = await golive(['run', '--config', file, '--out', join(dir, 'out-bad')]);
    assertNoStack(r.stderr);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr + r.stdout, /waivers.*until|YYYY-MM-DD/);
  });
});
