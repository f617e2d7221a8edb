/**
 * One TLS trust setting for the whole gate: a self-signed staging target fails with a hint that names the
 * setting, `--ca FILE` trusts its CA for every check (the tls check included), and `--insecure` skips
 * verification with a loud warning.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertBuilt, assertNoStack, golive } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'golive-tls-trust-'));
let server: Server;
let url: string;

before(async () => {
  assertBuilt();
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '30', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], {
    stdio: 'ignore',
  });
  server = createServer({ key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) }, (req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status":"ok"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

const config = (extra: Record<string, unknown> = {}) => {
  const file = join(dir, `c-${Math.random().toString(36).slice(2)}.json`);
  const body = { checks: { health: { kind: 'health' }, tls: { kind: 'tls', options: { checkProtocols: false } } }, ...extra };
  writeFileSync(file, JSON.stringify(body));
  return file;
};

describe('TLS trust: one setting for every check', () => {
  it('untrusted by default, with a hint naming --ca and --insecure', async () => {
    const run = await golive(['run', '--config', config(), '--url', url, '--out', join(dir, 'o1'), '--reporter', 'console,json']);
    assertNoStack(run.stderr);
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stdout, /TLS handshake failed.*for a private CA pass --ca FILE \(or set target\.tls\.ca\); --insecure skips verification/);
  });

  it('--ca trusts the CA for the HTTP checks and the tls check alike', async () => {
    const run = await golive(['run', '--config', config(), '--url', url, '--ca', join(dir, 'c.pem'), '--out', join(dir, 'o2'), '--reporter', 'console,json']);
    assertNoStack(run.stderr);
    const report = JSON.parse(readFileSync(join(dir, 'o2', 'report.json'), 'utf8'));
    const byId = Object.fromEntries(report.stages.flatMap((s: { checks: Array<{ id: string }> }) => s.checks).map((c: { id: string }) => [c.id, c]));
    assert.equal(byId.health.status, 'pass', JSON.stringify(byId.health.observations));
    const chain = byId.tls.observations.find((o: { name: string }) => o.name === 'certificate-chain');
    assert.equal(chain.passed, true, chain.message);
    assert.doesNotMatch(run.stderr, /WARNING/);
  });

  it('--insecure passes the HTTP checks with a loud warning; a missing --ca file is a usage error', async () => {
    const run = await golive(['run', '--config', config(), '--url', url, '--insecure', '--out', join(dir, 'o3'), '--reporter', 'console,json']);
    assertNoStack(run.stderr);
    assert.match(run.stderr, /WARNING: TLS certificates of the target are NOT verified/);
    const report = JSON.parse(readFileSync(join(dir, 'o3', 'report.json'), 'utf8'));
    const health = report.stages.flatMap((s: { checks: Array<{ id: string; status: string }> }) => s.checks).find((c: { id: string }) => c.id === 'health');
    assert.equal(health.status, 'pass');
    const missing = await golive(['run', '--config', config(), '--url', url, '--ca', join(dir, 'nope.pem')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--ca: cannot read .*nope\.pem: ENOENT/);
  });

  it('golive load follows the same trust: refused without it, --ca or --insecure (warned) let it through', async () => {
    const args = ['load', `${url}/`, '-n', '30', '-c', '2', '-q', '--warmup', '0'];
    const plain = await golive(args);
    assertNoStack(plain.stderr);
    assert.notEqual(plain.code, 0, 'an untrusted certificate is not a pass');
    assert.match(plain.stdout + plain.stderr, /tls/i);
    const ca = await golive([...args, '--ca', join(dir, 'c.pem')]);
    assert.equal(ca.code, 0, ca.stdout + ca.stderr);
    assert.doesNotMatch(ca.stderr, /WARNING/);
    const insecure = await golive([...args, '--insecure']);
    assert.equal(insecure.code, 0, insecure.stdout + insecure.stderr);
    assert.match(insecure.stderr, /WARNING: TLS certificates of the target are NOT verified/);
  });
});
