import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { computeSignature, computeSignatureV2, parseSignatureHeader, signRequest, verifySignature } from '../../src/lib/signature.ts';

const hex = 'a'.repeat(64);

describe('parseSignatureHeader', () => {
  const table: [string | undefined, string | object][] = [
    [undefined, 'missing'],
    ['', 'missing'],
    ['t=123,v1=', 'malformed'],
    ['t=123', 'malformed'],
    [`v1=${hex}`, 'malformed'],
    [`t=abc,v1=${hex}`, 'malformed'],
    [`t=123,v1=${'g'.repeat(64)}`, 'malformed'],
    [`t=123,v1=${hex.slice(1)}`, 'malformed'],
    [`t=123,v1=${hex},v1=${hex}`, 'malformed'],
    [`t=123,v1=${hex},x=1`, 'malformed'],
    [`t=123,v1=${hex},kid=bad kid`, 'malformed'],
    [`t=123,v1=${hex}`, { timestamp: 123, v1: hex, v2: undefined, keyId: undefined }],
    [`t=123, v1=${hex.toUpperCase()}, kid=k2`, { timestamp: 123, v1: hex, v2: undefined, keyId: 'k2' }],
    ['x'.repeat(600), 'malformed'],
  ];
  for (const [input, expected] of table) {
    test(`${JSON.stringify(input)?.slice(0, 40)} → ${JSON.stringify(expected).slice(0, 30)}`, () => {
      assert.deepEqual(parseSignatureHeader(input), expected);
    });
  }
});

describe('verifySignature', () => {
  const body = Buffer.from('{"a":1}');
  const keys = [
    { keyId: 'k1', secret: 'one' },
    { keyId: 'k2', secret: 'two' },
  ];
  const now = 1_700_000_000;
  const sig = (secret: string, t = now, kid?: string) => {
    const parsed = parseSignatureHeader(
      signRequest({ secret, method: 'POST', path: '/v1/events', body, timestamp: t, ...(kid ? { keyId: kid } : {}) }),
    );
    assert.equal(typeof parsed, 'object');
    return parsed as Exclude<ReturnType<typeof parseSignatureHeader>, string>;
  };
  test('the contract HMAC input is t.METHOD.path.body', () => {
    const expected = createHmac('sha256', 'one').update(`${now}.POST./v1/events.{"a":1}`).digest('hex');
    assert.equal(computeSignature('one', now, 'post', '/v1/events', body), expected);
  });
  test('valid with either active key', () => {
    const v = verifySignature(sig('two'), keys, { method: 'POST', path: '/v1/events', rawBody: body }, { nowSec: now });
    assert.ok(v.ok && v.keyId === 'k2' && v.version === 'v1', JSON.stringify(v));
  });
  test('kid restricts to one key', () => {
    assert.deepEqual(verifySignature(sig('two', now, 'k1'), keys, { method: 'POST', path: '/v1/events', rawBody: body }, { nowSec: now }), {
      ok: false,
      reason: 'mismatch',
    });
  });
  test('unknown kid', () => {
    assert.deepEqual(verifySignature(sig('one', now, 'k3'), keys, { method: 'POST', path: '/v1/events', rawBody: body }, { nowSec: now }), {
      ok: false,
      reason: 'unknown_key',
    });
  });
  test('±300 s accepted, 301 s refused both ways', () => {
    assert.equal(verifySignature(sig('one', now - 300), keys, { method: 'POST', path: '/v1/events', rawBody: body }, { nowSec: now }).ok, true);
    assert.equal(verifySignature(sig('one', now + 300), keys, { method: 'POST', path: '/v1/events', rawBody: body }, { nowSec: now }).ok, true);
    assert.deepEqual(verifySignature(sig('one', now - 301), keys, { method: 'POST', path: '/v1/events', rawBody: body }, { nowSec: now }), { ok: false, reason: 'stale' });
    assert.deepEqual(verifySignature(sig('one', now + 301), keys, { method: 'POST', path: '/v1/events', rawBody: body }, { nowSec: now }), { ok: false, reason: 'future' });
  });
  test('another method, path or body does not verify', () => {
    assert.equal(verifySignature(sig('one'), keys, { method: 'PUT', path: '/v1/events', rawBody: body }, { nowSec: now }).ok, false);
    assert.equal(verifySignature(sig('one'), keys, { method: 'POST', path: '/v1/event', rawBody: body }, { nowSec: now }).ok, false);
    assert.equal(verifySignature(sig('one'), keys, { method: 'POST', path: '/v1/events', rawBody: Buffer.from('{"a":2}') }, { nowSec: now }).ok, false);
  });
  test('no keys at all', () => {
    assert.deepEqual(verifySignature(sig('one'), [], { method: 'POST', path: '/v1/events', rawBody: body }, { nowSec: now }), { ok: false, reason: 'unknown_key' });
  });
});

describe('v2: the Idempotency-Key is signed', () => {
  const body = Buffer.from('{"a":1}');
  const keys = [{ keyId: 'k1', secret: 'one' }];
  const now = 1_700_000_000;
  const req = (idempotencyKey: string | undefined) => ({ method: 'POST', path: '/v1/events', rawBody: body, idempotencyKey });
  const header = (key: string, t = now) => signRequest({ secret: 'one', method: 'POST', path: '/v1/events', body, idempotencyKey: key, timestamp: t });

  test('the canonical string is t.METHOD.path.key.body', () => {
    const expected = createHmac('sha256', 'one').update(`${now}.POST./v1/events.key-1.{"a":1}`).digest('hex');
    assert.equal(computeSignatureV2('one', now, 'post', '/v1/events', 'key-1', body), expected);
    assert.equal(header('key-1'), `t=${now},v2=${expected}`);
  });
  test('verifies under its key only', () => {
    const parsed = parseSignatureHeader(header('key-1'));
    if (typeof parsed === 'string') throw new Error(parsed);
    const ok = verifySignature(parsed, keys, req('key-1'), { nowSec: now });
    assert.ok(ok.ok && ok.version === 'v2');
    assert.deepEqual(verifySignature(parsed, keys, req('key-2'), { nowSec: now }), { ok: false, reason: 'mismatch' });
    assert.deepEqual(verifySignature(parsed, keys, req(undefined), { nowSec: now }), { ok: false, reason: 'mismatch' });
  });
  test('with v1 and v2 in one header, v2 decides', () => {
    const v1 = computeSignature('one', now, 'POST', '/v1/events', body);
    const v2 = computeSignatureV2('one', now, 'POST', '/v1/events', 'key-1', body);
    const both = parseSignatureHeader(`t=${now},v1=${v1},v2=${v2}`);
    if (typeof both === 'string') throw new Error(both);
    assert.equal(verifySignature(both, keys, req('key-1'), { nowSec: now }).ok, true);
    // A valid v1 beside a v2 for another key does not rescue it.
    assert.deepEqual(verifySignature(both, keys, req('key-2'), { nowSec: now }), { ok: false, reason: 'mismatch' });
  });
  test('v1 alone is refused from the sunset on; v2 is not affected', () => {
    const v1 = parseSignatureHeader(signRequest({ secret: 'one', method: 'POST', path: '/v1/events', body, timestamp: now }));
    const v2 = parseSignatureHeader(header('key-1'));
    if (typeof v1 === 'string' || typeof v2 === 'string') throw new Error('unparsed');
    assert.equal(verifySignature(v1, keys, req('key-1'), { nowSec: now, v1SunsetSec: now + 1 }).ok, true);
    assert.deepEqual(verifySignature(v1, keys, req('key-1'), { nowSec: now, v1SunsetSec: now }), { ok: false, reason: 'v1_retired' });
    assert.equal(verifySignature(v2, keys, req('key-1'), { nowSec: now, v1SunsetSec: now }).ok, true);
  });
  test('parsing: v2 alone, repeated v2, neither', () => {
    const hex = 'a'.repeat(64);
    assert.deepEqual(parseSignatureHeader(`t=1,v2=${hex},kid=k1`), { timestamp: 1, v1: undefined, v2: hex, keyId: 'k1' });
    assert.equal(parseSignatureHeader(`t=1,v2=${hex},v2=${hex}`), 'malformed');
    assert.equal(parseSignatureHeader(`t=1,t=2,v2=${hex}`), 'malformed');
    assert.equal(parseSignatureHeader('t=1,kid=k1'), 'malformed');
  });
});
