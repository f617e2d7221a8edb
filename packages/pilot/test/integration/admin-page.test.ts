// The flags admin page: token form, session cookie, CSRF, failed-attempt limit, validation shared with
// PATCH /admin/config, audit rows, strict CSP; refusals are 4xx naming the field, never 5xx.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ADMIN_TOKEN, makeApp } from '../helpers.ts';

let app: FastifyInstance;
before(async () => {
  app = await makeApp({ ENRICH_WORKER: 'off', RECONCILE_INTERVAL_SEC: '0', AUTH_FAILURE_MAX: '5' });
});
after(async () => {
  await app.close();
});

const form = (o: Record<string, string>) => new URLSearchParams(o).toString();
const FORM = 'application/x-www-form-urlencoded';
const cookieOf = (setCookie: string | string[] | undefined, name: string) =>
  ([] as string[]).concat(setCookie ?? []).find((c) => c.startsWith(`${name}=`));
const csrfIn = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1];

/** Loads the sign-in form from a given client address: its login cookie and CSRF token. */
async function loginPage(ip = '127.0.0.1') {
  const r = await app.inject({ method: 'GET', url: '/admin', remoteAddress: ip });
  assert.equal(r.statusCode, 200);
  const c = cookieOf(r.headers['set-cookie'], 'pilot_admin_login');
  assert.ok(c);
  return { cookie: c.split(';')[0]!, csrf: csrfIn(r.body)!, headers: r.headers };
}

async function signIn(ip = '127.0.0.1') {
  const p = await loginPage(ip);
  const r = await app.inject({
    method: 'POST',
    url: '/admin/login',
    remoteAddress: ip,
    headers: { 'content-type': FORM, cookie: p.cookie },
    payload: form({ csrf: p.csrf, token: ADMIN_TOKEN }),
  });
  assert.equal(r.statusCode, 303);
  const session = cookieOf(r.headers['set-cookie'], 'pilot_admin_session');
  assert.ok(session);
  const cookie = session.split(';')[0]!;
  const page = await app.inject({ method: 'GET', url: '/admin', headers: { cookie } });
  return { cookie, setCookie: session, csrf: csrfIn(page.body)!, page };
}

test('the sign-in page is HTML under the strict CSP, not cacheable', async () => {
  const p = await loginPage();
  assert.match(String(p.headers['content-type']), /^text\/html/);
  const csp = String(p.headers['content-security-policy']);
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  assert.equal(p.headers['cache-control'], 'no-store');
  assert.equal(p.headers['x-frame-options'], 'DENY');
});

test('a right token sets an HttpOnly, Secure, SameSite=Strict session cookie and shows flags and health', async () => {
  const s = await signIn();
  assert.match(s.setCookie, /HttpOnly/);
  assert.match(s.setCookie, /Secure/);
  assert.match(s.setCookie, /SameSite=Strict/);
  assert.ok(!s.setCookie.includes(ADMIN_TOKEN), 'the token is not the cookie');
  assert.match(s.page.body, /id="flags-form"/);
  assert.match(s.page.body, /id="health"/);
  assert.match(s.page.body, /id="dead-letters"/);
});

test('missing CSRF, wrong and missing tokens are 4xx naming the field; failures are limited', async () => {
  const ip = '10.9.8.7';
  const p = await loginPage(ip);
  const post = (payload: Record<string, string>, cookie = p.cookie) =>
    app.inject({ method: 'POST', url: '/admin/login', remoteAddress: ip, headers: { 'content-type': FORM, cookie }, payload: form(payload) });
  const noCsrf = await post({ token: ADMIN_TOKEN });
  assert.equal(noCsrf.statusCode, 403);
  assert.match(noCsrf.body, /data-field="csrf"/);
  assert.equal((await post({ token: ADMIN_TOKEN, csrf: p.csrf }, 'other=1')).statusCode, 403, 'CSRF token without its cookie');
  const missing = await post({ csrf: p.csrf });
  assert.equal(missing.statusCode, 401);
  assert.match(missing.body, /data-field="token"/);
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) statuses.push((await post({ csrf: p.csrf, token: `wrong-${i}-0123456789abcdef` })).statusCode);
  assert.ok(statuses.includes(429), `failed attempts are limited: ${statuses.join(',')}`);
  // Even the right token is refused from that address until the window passes.
  assert.equal((await post({ csrf: p.csrf, token: ADMIN_TOKEN })).statusCode, 429);
  assert.ok(statuses.every((s) => s < 500));
});

test('flag changes: CSRF required, out-of-range values are 400 naming the field, each change audited', async () => {
  const s = await signIn('10.1.1.1');
  const post = (payload: Record<string, string>, cookie = s.cookie) =>
    app.inject({ method: 'POST', url: '/admin/flags', headers: { 'content-type': FORM, cookie }, payload: form(payload) });
  const noSession = await post({ csrf: s.csrf, retryCap: '2' }, '');
  assert.equal(noSession.statusCode, 401);
  const forged = await post({ csrf: 'x'.repeat(43), retryCap: '2' });
  assert.equal(forged.statusCode, 403);
  assert.match(forged.body, /data-field="csrf"/);
  for (const [field, value] of [
    ['minIntervalSec', '0'],
    ['minIntervalSec', '86401'],
    ['retryCap', '101'],
    ['retryCap', 'lots'],
    ['syncEnabled', 'maybe'],
  ] as const) {
    const r = await post({ csrf: s.csrf, [field]: value });
    assert.equal(r.statusCode, 400, `${field}=${value}`);
    assert.match(r.body, new RegExp(`data-field="${field}"`));
  }
  const unknown = await post({ csrf: s.csrf, dropTables: '1' });
  assert.equal(unknown.statusCode, 400);
  const auditBefore = (await app.pilot.db.query<{ n: number }>('SELECT count(*)::int AS n FROM feature_flag_audit')).rows[0]!.n;
  const ok = await post({ csrf: s.csrf, syncEnabled: 'false', minIntervalSec: '60', retryCap: '5' });
  assert.equal(ok.statusCode, 303);
  const cfg = JSON.parse((await app.inject({ method: 'GET', url: '/config' })).body);
  assert.deepEqual(cfg, { syncEnabled: false, minIntervalSec: 60, retryCap: 5 });
  const audit = await app.pilot.db.query<{ actor: string; new_flags: unknown }>('SELECT actor, new_flags FROM feature_flag_audit ORDER BY id DESC LIMIT 1');
  assert.equal(audit.rows[0]!.actor, 'admin-page');
  assert.deepEqual(audit.rows[0]!.new_flags, { syncEnabled: false, minIntervalSec: 60, retryCap: 5 });
  assert.equal((await app.pilot.db.query<{ n: number }>('SELECT count(*)::int AS n FROM feature_flag_audit')).rows[0]!.n, auditBefore + 1);
  const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  assert.match(text, /^pilot_sync_enabled 0$/m);
  // The page shows the change.
  const page = await app.inject({ method: 'GET', url: '/admin', headers: { cookie: s.cookie } });
  assert.match(page.body, /admin-page/);
  // A tampered session cookie is no session.
  const tampered = s.cookie.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
  assert.match((await app.inject({ method: 'GET', url: '/admin', headers: { cookie: tampered } })).body, /id="login"/);
});
