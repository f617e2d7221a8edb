/**
 * The tls check against real https servers on loopback with certificates made by openssl in a temp dir.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SecureVersion } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { tlsCheck } from '../../src/checks/tls.ts';
import { refusedUrl, serverPool } from '../helpers/check-servers.ts';
import { codes, failed, makeContext, runCheck, runKind } from '../helpers/context.ts';

const dir = mkdtempSync(join(tmpdir(), 'golive-tls-'));

function makeCert(name: string, days: number, cn: string, san: string): { key: Buffer; cert: Buffer; certPath: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.pem`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', String(days), '-subj', `/CN=${cn}`, '-addext', `subjectAltName=${san}`], {
    stdio: 'ignore',
  });
  return { key: readFileSync(key), cert: readFileSync(cert), certPath: cert };
}

const pool = serverPool();
function serve(c: { key: Buffer; cert: Buffer }, minVersion: SecureVersion = 'TLSv1.2'): Promise<number> {
  return pool.listen(createServer({ key: c.key, cert: c.cert, minVersion, ...(minVersion === 'TLSv1' ? { ciphers: 'DEFAULT:@SECLEVEL=0' } : {}) }, (_q, r) => r.end('ok')));
}

const run = (baseUrl: string, opts: Record<string, unknown> = {}) => runKind(tlsCheck, baseUrl, opts);

describe('tls check', () => {
  let good: ReturnType<typeof makeCert>;
  let soon: ReturnType<typeof makeCert>;
  let other: ReturnType<typeof makeCert>;
  let goodPort = 0;
  let soonPort = 0;
  let otherPort = 0;
  let oldPort = 0;
  before(async () => {
    good = makeCert('good', 365, 'localhost', 'DNS:localhost,IP:127.0.0.1');
    soon = makeCert('soon', 5, 'localhost', 'DNS:localhost,IP:127.0.0.1');
    other = makeCert('other', 365, 'other.example', 'DNS:other.example');
    goodPort = await serve(good);
    soonPort = await serve(soon);
    otherPort = await serve(other);
    oldPort = await serve(good, 'TLSv1');
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('catches a self-signed certificate on loopback', async () => {
    const out = await run(`https://127.0.0.1:${goodPort}`);
    assert.equal(failed(out), true);
    assert.deepEqual(codes(out), ['TLS_CERT_SELF_SIGNED']);
    assert.equal(out.data?.selfSigned, true);
    assert.equal(out.data?.authorizationError, 'DEPTH_ZERO_SELF_SIGNED_CERT');
    assert.equal(out.data?.hostnameMatch, true);
    assert.deepEqual(out.data?.protocols, { TLSv1: false, 'TLSv1.1': false, 'TLSv1.2': true, 'TLSv1.3': true });
    assert.ok(Number(out.data?.daysRemaining) >= 363);
  });

  it('trusts the same certificate when its CA file is given', async () => {
    const out = await run(`https://127.0.0.1:${goodPort}`, { caFile: good.certPath });
    assert.equal(failed(out), false, JSON.stringify(out.observations));
    assert.equal(out.data?.authorized, true);
  });

  it('fails a certificate that expires within the threshold', async () => {
    const out = await run(`https://127.0.0.1:${soonPort}`, { caFile: soon.certPath });
    assert.deepEqual(codes(out), ['TLS_CERT_EXPIRES_SOON']);
    assert.ok(Number(out.data?.daysRemaining) <= 5);
    const lenient = await run(`https://127.0.0.1:${soonPort}`, { caFile: soon.certPath, minDaysRemaining: 2 });
    assert.equal(failed(lenient), false);
  });

  it('judges expiry against the run clock: expired, and not yet valid', async () => {
    const shifted = async (days: number) => {
      const t = await makeContext({ baseUrl: `https://127.0.0.1:${goodPort}` });
      try {
        const ctx = { ...t.ctx, clock: { ...t.ctx.clock, now: () => Date.now() + days * 86_400_000 } };
        return await runCheck(tlsCheck, ctx, { caFile: good.certPath });
      } finally {
        await t.close();
      }
    };
    const later = await shifted(400);
    assert.deepEqual(codes(later), ['TLS_CERT_EXPIRED']);
    assert.match(later.observations.find((o) => o.code === 'TLS_CERT_EXPIRED')?.message ?? '', /has expired/);
    const earlier = await shifted(-2);
    assert.deepEqual(codes(earlier), ['TLS_CERT_NOT_YET_VALID']);
  });

  it('fails a certificate issued for another name', async () => {
    const out = await run(`https://127.0.0.1:${otherPort}`, { caFile: other.certPath });
    assert.deepEqual(codes(out), ['TLS_HOSTNAME_MISMATCH']);
    const named = await run(`https://127.0.0.1:${otherPort}`, { caFile: other.certPath, servername: 'other.example' });
    assert.equal(failed(named), false, JSON.stringify(named.observations));
  });

  it('fails a server that still accepts TLSv1 and TLSv1.1', async () => {
    const out = await run(`https://127.0.0.1:${oldPort}`, { caFile: good.certPath });
    assert.deepEqual(codes(out), ['TLS_OLD_PROTOCOL']);
    assert.equal((out.data?.protocols as Record<string, unknown> | undefined)?.TLSv1, true);
  });

  it('connects to an explicit host and port', async () => {
    const out = await run('http://127.0.0.1:9', { host: '127.0.0.1', port: goodPort, caFile: good.certPath });
    assert.equal(failed(out), false);
  });

  it('says not applicable for plain http on loopback, and fails elsewhere', async () => {
    const out = await run('http://127.0.0.1:8080');
    assert.equal(failed(out), false);
    assert.equal(out.data?.applicable, false);
    const remote = await run('http://192.0.2.10');
    assert.deepEqual(codes(remote), ['TLS_NO_HTTPS']);
  });

  it('fails with evidence when nothing listens', async () => {
    const out = await run((await refusedUrl()).replace('http:', 'https:'));
    assert.deepEqual(codes(out), ['TLS_CONNECT_FAILED']);
    assert.match(out.observations[0]?.message ?? '', /ECONNREFUSED/);
  });
});
