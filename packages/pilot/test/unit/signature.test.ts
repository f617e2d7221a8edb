import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { computeSignature, parseSignatureHeader, signRequest, verifySignature } from '../../src/lib/signature.ts';

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
    [`t=123,v1=${hex}`, { timestamp: 123, v1: hex, keyId: undefined }],
    [`t=123, v1=${hex.toUpperCase()}, kid=k2`, { timestamp: 123, v1: hex, keyId: 'k2' }],
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
    assert.deepEqual(verifySignature(sig('two'), keys, 'POST', '/v1/events', body, now), { ok: true, keyId: 'k2' });
  });
  test('kid restricts to one key', () => {
    assert.deepEqual(verifySignature(sig('two', now, 'k1'), keys, 'POST', '/v1/events', body, now), {
      ok: false,
      reason: 'mismatch',
    });
  });
  test('unknown kid', () => {
    assert.deepEqual(verifySignature(sig('one', now, 'k3'), keys, 'POST', '/v1/events', body, now), {
      ok: false,
      reason: 'unknown_key',
    });
  });
  test('±300 s accepted, 301 s refused both ways', () => {
    assert.equal(verifySignature(sig('one', now - 300), keys, 'POST', '/v1/events', body, now).ok, true);
    assert.equal(verifySignature(sig('one', now + 300), keys, 'POST', '/v1/events', body, now).ok, true);
    assert.deepEqual(verifySignature(sig('one', now - 301), keys, 'POST', '/v1/events', body, now), { ok: false, reason: 'stale' });
    assert.deepEqual(verifySignature(sig('one', now + 301), keys, 'POST', '/v1/events', body, now), { ok: false, reason: 'future' });
  });
  test('another method, path or body does not verify', () => {
    assert.equal(verifySignature(sig('one'), keys, 'PUT', '/v1/events', body, now).ok, false);
    assert.equal(verifySignature(sig('one'), keys, 'POST', '/v1/event', body, now).ok, false);
    assert.equal(verifySignature(sig('one'), keys, 'POST', '/v1/events', Buffer.from('{"a":2}'), now).ok, false);
  });
  test('no keys at all', () => {
    assert.deepEqual(verifySignature(sig('one'), [], 'POST', '/v1/events', body, now), { ok: false, reason: 'unknown_key' });
  });
});
