/**
 * security-headers over https (a certificate made by openssl, trusted through the client's CA option): HSTS
 * is judged, cookies need Secure, and http → https redirection is followed through a plain http server.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { securityHeadersCheck } from '../../src/checks/security-headers.ts';
import { createHttpClient } from '../../src/http/client.ts';
import { HELMET_DEFAULTS } from '../fixtures/well-known-header-sets.ts';
import { refusedUrl, serverPool } from '../helpers/check-servers.ts';
import { codes, failed, makeContext, runCheck } from '../helpers/context.ts';

const dir = mkdtempSync(join(tmpdir(), 'golive-https-'));
const { listen } = serverPool();
let key: Buffer;
let cert: Buffer;

async function httpsServer(headers: Record<string, string | string[]>): Promise<string> {
  const port = await listen(
    createServer({ key, cert }, (req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(req.url === '/' ? 200 : 404, { 'content-type': 'text/html', ...headers });
      res.end('<!doctype html><html><body>hi</body></html>');
    }),
  );
  return `https://127.0.0.1:${port}`;
}

async function redirector(to: string, status = 301): Promise<string> {
  const port = await listen(
    createHttpServer((_req, res) => {
      res.writeHead(status, { location: to });
      res.end();
    }),
  );
  return `http://127.0.0.1:${port}/`;
}

async function run(baseUrl: string, opts: Record<string, unknown>) {
  const t = await makeContext({ baseUrl });
  const http = createHttpClient({ baseUrl, tls: { ca: cert.toString() }, redactor: t.ctx.redactor });
  try {
    return await runCheck(securityHeadersCheck, { ...t.ctx, http }, opts);
  } finally {
    await http.close();
    await t.close();
  }
}

describe('security-headers over https', () => {
  before(() => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '30', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], {
      stdio: 'ignore',
    });
    key = readFileSync(join(dir, 'k.pem'));
    cert = readFileSync(join(dir, 'c.pem'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('a hardened https service with http → https redirection grades A+ and passes', async () => {
    const url = await httpsServer({ ...HELMET_DEFAULTS, 'strict-transport-security': 'max-age=63072000; includeSubDomains; preload', 'set-cookie': '__Host-sid=x; Path=/; Secure; HttpOnly; SameSite=Lax' });
    const httpUrl = await redirector(`${url}/`);
    const out = await run(url, { httpUrl, minGrade: 'A' });
    assert.equal(failed(out), false, JSON.stringify(out.observations.filter((o) => !o.passed), null, 1));
    const tests = out.data?.tests as Record<string, { result: string; applicable: boolean }>;
    assert.equal(tests['strict-transport-security']?.result, 'hsts-implemented-max-age-at-least-six-months');
    assert.equal(tests.redirection?.result, 'redirection-to-https');
    assert.equal(tests.cookies?.result, 'cookies-secure-with-httponly-sessions-and-samesite');
    assert.equal(out.data?.grade, 'A+');
    assert.equal(out.data?.httpsApplicable, true);
  });

  it('missing HSTS, a short one, insecure cookies and a redirect that stays on http fail with their findings', async () => {
    const { 'strict-transport-security': _h, ...noHsts } = HELMET_DEFAULTS;
    const missing = await httpsServer(noHsts);
    const out = await run(missing, { httpUrl: await redirector('http://127.0.0.1:9/elsewhere', 302) });
    assert.ok(codes(out).includes('HSTS_MISSING'), codes(out).join(', '));
    assert.ok(codes(out).includes('REDIRECT_NOT_TO_HTTPS'), codes(out).join(', '));

    const short = await httpsServer({ ...HELMET_DEFAULTS, 'strict-transport-security': 'max-age=86400', 'set-cookie': ['sessionid=x; HttpOnly; SameSite=Lax'] });
    const out2 = await run(short, { redirection: false });
    const c = codes(out2);
    for (const code of ['HSTS_MAX_AGE_TOO_SHORT', 'COOKIE_NO_SECURE']) assert.ok(c.includes(code), c.join(', '));
    const tests = out2.data?.tests as Record<string, { result: string }>;
    assert.equal(tests['strict-transport-security']?.result, 'hsts-implemented-max-age-less-than-six-months');
    // One day of HSTS fails the Observatory's HSTS test, so it does not count as protecting the cookie.
    assert.equal(tests.cookies?.result, 'cookies-session-without-secure-flag');
    assert.equal(tests.redirection?.result, 'not-evaluated');
  });

  it('nothing on http is fine (redirection-not-needed-no-http)', async () => {
    const url = await httpsServer({ ...HELMET_DEFAULTS });
    const out = await run(url, { httpUrl: `${await refusedUrl()}/` });
    const tests = out.data?.tests as Record<string, { result: string }>;
    assert.equal(tests.redirection?.result, 'redirection-not-needed-no-http');
    assert.equal(failed(out), false, JSON.stringify(out.observations.filter((o) => !o.passed), null, 1));
  });
});
