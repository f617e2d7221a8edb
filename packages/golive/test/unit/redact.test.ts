import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REDACTED, Redactor, excerpt, isSecretEnv } from '../../src/core/redact.ts';

describe('Redactor', () => {
  const env = {
    STRIPE_SECRET_KEY: 'sk_live_51HcontrivedSecretValue',
    STRIPE_WEBHOOK_SECRET: 'whsec_abcdef123456',
    DATABASE_URL: 'postgres://app:p4ssw0rd-xyz@db.internal:5432/app',
    SOME_VALUE: 'ghp_abcdefghijklmnop1234',
    EXPECT_LIVE: '1',
    NOTIFY_MODE: 'mock',
    HOME: '/root',
  };
  const r = Redactor.fromEnv(env, ['Bearer tok-9f8e7d6c5b']);

  it('learns secrets by variable name and by value shape, not ordinary values', () => {
    assert.equal(isSecretEnv('STRIPE_SECRET_KEY', env.STRIPE_SECRET_KEY), true);
    assert.equal(isSecretEnv('SOME_VALUE', env.SOME_VALUE), true, 'a GitHub token shape under any name');
    assert.equal(isSecretEnv('NOTIFY_MODE', 'mock'), false);
    assert.equal(isSecretEnv('HOME', '/root'), false);
  });

  it('replaces every occurrence, inside JSON, URLs and messages', () => {
    const text = `key=${env.STRIPE_SECRET_KEY} json={"s":"${env.STRIPE_WEBHOOK_SECRET}"} url=${env.DATABASE_URL} again ${env.STRIPE_SECRET_KEY}`;
    const out = r.redact(text);
    for (const v of [env.STRIPE_SECRET_KEY, env.STRIPE_WEBHOOK_SECRET, 'p4ssw0rd-xyz', env.SOME_VALUE]) assert.ok(!out.includes(v), v);
    assert.equal(out.split(REDACTED).length - 1, 4);
  });

  it('redacts the password of a URL even where the URL appears rebuilt, and URL-encoded values', () => {
    assert.equal(r.redact('connect to db.internal with p4ssw0rd-xyz'), `connect to db.internal with ${REDACTED}`);
    const enc = Redactor.fromEnv({ API_TOKEN: 'a b/c+d=e&f' });
    assert.equal(enc.redact(`q=${encodeURIComponent('a b/c+d=e&f')}`), `q=${REDACTED}`);
  });

  it('redacts a secret in its HTML-escaped form (the HTML report and the history index escape every text)', () => {
    const html = Redactor.fromEnv({ API_TOKEN: `a<b>"c'&d-secret` });
    assert.equal(html.redact('<td>a&lt;b&gt;&quot;c&#39;&amp;d-secret</td>'), `<td>${REDACTED}</td>`);
  });

  it('redacts a bearer token alone and keeps ordinary values', () => {
    assert.equal(r.redact('sent tok-9f8e7d6c5b'), `sent ${REDACTED}`);
    assert.equal(r.redact('mode mock, expect live 1'), 'mode mock, expect live 1');
  });

  it('blanks sensitive headers and scans the rest', () => {
    const h = r.redactHeaders({ Authorization: 'Bearer x', 'set-cookie': ['a=1', 'b=2'], 'x-note': `k ${env.STRIPE_SECRET_KEY}`, accept: 'json' });
    assert.deepEqual(h, { Authorization: REDACTED, 'set-cookie': REDACTED, 'x-note': `k ${REDACTED}`, accept: 'json' });
  });

  it('deep-redacts objects and arrays without touching keys', () => {
    const out = r.redactDeep({ a: [env.STRIPE_WEBHOOK_SECRET, 1], b: { c: `x${env.SOME_VALUE}` }, n: null });
    assert.deepEqual(out, { a: [REDACTED, 1], b: { c: `x${REDACTED}` }, n: null });
  });

  it('ignores values too short to be secrets', () => {
    const s = Redactor.fromEnv({ API_KEY: 'abc' });
    assert.equal(s.size, 0);
    assert.equal(s.redact('abc'), 'abc');
  });

  it('excerpt folds whitespace and marks the cut', () => {
    assert.equal(excerpt('a\n  b'), 'a b');
    assert.match(excerpt('x'.repeat(300), 10), /^x{10}… \(300 chars\)$/);
  });
});
