import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeCookies, parseSetCookie, splitSetCookie } from '../../src/analysers/cookies.ts';

describe('parseSetCookie', () => {
  it('reads attributes case-insensitively', () => {
    const c = parseSetCookie('sid=abc; Path=/; SECURE; httponly; SameSite=LAX; Max-Age=60');
    assert.deepEqual(c, { name: 'sid', secure: true, httpOnly: true, sameSite: 'lax', sameSiteRaw: 'LAX', path: '/', session: false, maxAge: 60 });
  });
  it('splits joined lines without breaking Expires dates', () => {
    const lines = splitSetCookie('a=1; Expires=Wed, 21 Oct 2037 07:28:00 GMT; Secure, b=2; HttpOnly');
    assert.equal(lines.length, 2);
    assert.equal(parseSetCookie(lines[1] ?? '').name, 'b');
  });
});

interface Case {
  name: string;
  cookies: string[];
  hsts?: boolean;
  secureApplies?: boolean;
  result: string;
  codes: string[];
}

const cases: Case[] = [
  { name: 'no cookies', cookies: [], result: 'cookies-not-found', codes: [] },
  { name: 'all good with SameSite', cookies: ['sessionid=x; Secure; HttpOnly; SameSite=Lax'], result: 'cookies-secure-with-httponly-sessions-and-samesite', codes: [] },
  { name: 'good but no SameSite', cookies: ['sessionid=x; Secure; HttpOnly'], result: 'cookies-secure-with-httponly-sessions', codes: ['COOKIE_NO_SAMESITE'] },
  { name: 'session cookie without Secure', cookies: ['sessionid=x; HttpOnly; SameSite=Lax'], result: 'cookies-session-without-secure-flag', codes: ['COOKIE_NO_SECURE'] },
  { name: 'session cookie without Secure, HSTS mitigates', cookies: ['sessionid=x; HttpOnly; SameSite=Lax'], hsts: true, result: 'cookies-session-without-secure-flag-but-protected-by-hsts', codes: ['COOKIE_NO_SECURE'] },
  { name: 'plain cookie without Secure', cookies: ['theme=dark; SameSite=Lax'], result: 'cookies-without-secure-flag', codes: ['COOKIE_NO_SECURE'] },
  { name: 'plain cookie without Secure, HSTS mitigates', cookies: ['theme=dark; SameSite=Lax'], hsts: true, result: 'cookies-without-secure-flag-but-protected-by-hsts', codes: ['COOKIE_NO_SECURE'] },
  { name: 'session cookie without HttpOnly', cookies: ['PHPSESSID=x; Secure; SameSite=Strict'], result: 'cookies-session-without-httponly-flag', codes: ['COOKIE_SESSION_NO_HTTPONLY'] },
  { name: 'auth token without HttpOnly (golive rule only)', cookies: ['auth_token=x; Secure; SameSite=Strict'], result: 'cookies-secure-with-httponly-sessions-and-samesite', codes: ['COOKIE_SESSION_NO_HTTPONLY'] },
  { name: 'invalid SameSite', cookies: ['a=1; Secure; SameSite=Maybe'], result: 'cookies-samesite-flag-invalid', codes: ['COOKIE_SAMESITE_INVALID'] },
  { name: 'SameSite=None without Secure', cookies: ['a=1; SameSite=None'], secureApplies: false, result: 'cookies-samesite-flag-invalid', codes: ['COOKIE_SAMESITE_NONE_WITHOUT_SECURE'] },
  { name: 'anti-CSRF cookie without SameSite', cookies: ['csrftoken=x; Secure'], result: 'cookies-anticsrf-without-samesite-flag', codes: ['COOKIE_ANTICSRF_NO_SAMESITE'] },
  { name: '__Host- prefix with a Domain', cookies: ['__Host-id=1; Secure; Path=/; Domain=example.com; HttpOnly; SameSite=Lax'], result: 'cookies-secure-with-httponly-sessions-and-samesite', codes: ['COOKIE_HOST_PREFIX_INVALID'] },
  { name: '__Host- prefix without Path=/', cookies: ['__Host-id=1; Secure; HttpOnly; SameSite=Lax'], result: 'cookies-secure-with-httponly-sessions-and-samesite', codes: ['COOKIE_HOST_PREFIX_INVALID'] },
  { name: '__Host- prefix done right', cookies: ['__Host-id=1; Secure; Path=/; HttpOnly; SameSite=Lax'], result: 'cookies-secure-with-httponly-sessions-and-samesite', codes: [] },
  { name: '__Secure- prefix without Secure', cookies: ['__Secure-id=1; HttpOnly; SameSite=Lax'], secureApplies: false, result: 'cookies-secure-with-httponly-sessions-and-samesite', codes: ['COOKIE_SECURE_PREFIX_INVALID'] },
  { name: 'plain http on loopback: Secure rules do not apply', cookies: ['sessionid=x; HttpOnly; SameSite=Lax'], secureApplies: false, result: 'cookies-secure-with-httponly-sessions-and-samesite', codes: [] },
  { name: 'XSRF-TOKEN without SameSite: a golive finding, not the Observatory result', cookies: ['XSRF-TOKEN=x; Secure'], result: 'cookies-secure-with-httponly-sessions', codes: ['COOKIE_ANTICSRF_NO_SAMESITE'] },
  { name: "heroku's affinity cookie is left out of the score", cookies: ['heroku-session-affinity=x; Path=/'], result: 'cookies-not-found', codes: ['COOKIE_NO_SECURE', 'COOKIE_NO_SAMESITE'] },
  {
    name: "heroku's affinity cookie next to a good one",
    cookies: ['heroku-session-affinity=x; Path=/', 'sessionid=x; Secure; HttpOnly; SameSite=Lax'],
    result: 'cookies-secure-with-httponly-sessions-and-samesite',
    codes: ['COOKIE_NO_SECURE', 'COOKIE_NO_SAMESITE'],
  },
  {
    name: 'session cookie without HttpOnly outweighs an invalid SameSite and a missing Secure under HSTS',
    cookies: ['a=1; SameSite=Maybe', 'sessionid=x; Secure; SameSite=Lax', 'theme=dark; SameSite=Lax'],
    hsts: true,
    result: 'cookies-session-without-httponly-flag',
    codes: ['COOKIE_SAMESITE_INVALID', 'COOKIE_SESSION_NO_HTTPONLY', 'COOKIE_NO_SECURE', 'COOKIE_NO_SECURE'],
  },
  {
    // Equal modifiers (-20): the Observatory keeps the later of its order, anti-CSRF after invalid SameSite after no Secure.
    name: 'ties of modifier resolve in the Observatory order',
    cookies: ['csrftoken=x; Secure', 'a=1; Secure; SameSite=Maybe', 'theme=dark; SameSite=Lax'],
    result: 'cookies-anticsrf-without-samesite-flag',
    codes: ['COOKIE_ANTICSRF_NO_SAMESITE', 'COOKIE_SAMESITE_INVALID', 'COOKIE_NO_SECURE'],
  },
  {
    name: 'the worst cookie decides',
    cookies: ['theme=dark; Secure; SameSite=Lax', 'sessionid=x; SameSite=Lax'],
    result: 'cookies-session-without-secure-flag',
    codes: ['COOKIE_NO_SECURE', 'COOKIE_SESSION_NO_HTTPONLY'],
  },
];

describe('analyzeCookies', () => {
  for (const c of cases) {
    it(c.name, () => {
      const r = analyzeCookies(c.cookies, { hsts: c.hsts ?? false, secureApplies: c.secureApplies ?? true });
      assert.equal(r.result, c.result);
      assert.deepEqual(r.findings.map((f) => f.code).sort(), [...c.codes].sort());
    });
  }
  it('never puts a cookie value in a finding', () => {
    const r = analyzeCookies(['sessionid=s3cr3tvalue; SameSite=Lax'], { hsts: false, secureApplies: true });
    for (const f of r.findings) assert.ok(!f.message.includes('s3cr3tvalue'), f.message);
  });
});
