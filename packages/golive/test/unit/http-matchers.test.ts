import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { httpCheck, judgeHeaders, judgeJson, judgeStatus } from '../../src/checks/http.ts';
import { getJsonPath, parseJsonPath } from '../../src/core/json-path.ts';
import { type StatusSpec, statusMatcher } from '../../src/checks/util/status.ts';

const id = (s: string) => s;

describe('status matcher', () => {
  const cases: Array<[StatusSpec, number, boolean]> = [
    [200, 200, true],
    [200, 201, false],
    ['2xx', 204, true],
    ['2xx', 301, false],
    ['4XX', 404, true],
    ['200-204', 204, true],
    ['200-204', 205, false],
    [[400, 401, 403], 401, true],
    [[400, 401, 403], 404, false],
    [[400, '5xx'], 503, true],
    ['301', 301, true],
  ];
  for (const [spec, status, want] of cases) {
    it(`${JSON.stringify(spec)} vs ${status} → ${want}`, () => assert.equal(statusMatcher(spec).matches(status), want));
  }
  it('knows whether a success is allowed', () => {
    assert.equal(statusMatcher([400, 401, 403]).allowsSuccess, false);
    assert.equal(statusMatcher('2xx').allowsSuccess, true);
    assert.equal(statusMatcher('100-250').allowsSuccess, true);
  });
  it('rejects malformed specs at option validation', () => {
    for (const bad of ['2xy', '600', 99, [], 'ok']) {
      assert.throws(() => httpCheck.options.parse({ expect: { status: bad } }), `accepted ${JSON.stringify(bad)}`);
    }
  });
});

describe('JSON path', () => {
  const doc = { status: 'ok', data: { items: [{ id: 7 }, { id: 8 }] }, meta: { 'content-type': 'x', 'a.b': 1 }, nul: null, obj: { length: 'own' } };
  const cases: Array<[string, boolean, unknown]> = [
    ['status', true, 'ok'],
    ['$.status', true, 'ok'],
    ['$', true, doc],
    ['data.items[1].id', true, 8],
    ['data.items[2].id', false, undefined],
    ['meta["content-type"]', true, 'x'],
    ["meta['a.b']", true, 1],
    ['nul', true, null],
    ['missing.deep', false, undefined],
    ['status.length', false, undefined],
    ['data.items.length', true, 2],
    ['$.data.items["length"]', true, 2],
    ['data.items.size', false, undefined],
    ['obj.length', true, 'own'],
    ['data.items.0', false, undefined],
  ];
  for (const [path, found, value] of cases) {
    it(`${path}`, () => {
      const r = getJsonPath(doc, parseJsonPath(path));
      assert.equal(r.found, found);
      assert.deepEqual(r.value, value);
    });
  }
  it('rejects bad paths', () => {
    for (const bad of ['a..b', 'a[', 'a[x]', 'a]b', '.']) assert.throws(() => parseJsonPath(bad), SyntaxError, bad);
  });
});

describe('judgeJson', () => {
  const body = { status: 'ok', count: 3, tags: ['a'], user: { email: 'x@y.z' } };
  const cases: Array<[string, Record<string, unknown>, boolean]> = [
    ['status', { equals: 'ok' }, true],
    ['status', { equals: 'OK' }, false],
    ['count', { type: 'number' }, true],
    ['count', { type: 'string' }, false],
    ['tags', { equals: ['a'] }, true],
    ['tags', { type: 'array' }, true],
    ['user.email', { matches: '^[^@]+@' }, true],
    ['user.password', { exists: false }, true],
    ['user.email', { exists: false }, false],
    ['user.name', {}, false],
    ['count', { equals: 3, type: 'number' }, true],
  ];
  for (const [path, exp, want] of cases) {
    it(`${path} ${JSON.stringify(exp)} → ${want}`, () => {
      const parsed = httpCheck.options.parse({ expect: { json: { [path]: exp } } });
      const [o] = judgeJson(body, parsed.expect.json, id);
      assert.equal(o?.passed, want, o?.message);
      if (!want) assert.equal(o?.code, 'HTTP_JSON_PATH');
    });
  }
});

describe('judgeHeaders', () => {
  const res = { headers: { 'content-type': 'application/json; charset=utf-8', 'set-cookie': 'sid=abcdef123456; HttpOnly', 'x-frame-options': 'DENY' } };
  const cases: Array<[string, unknown, boolean, string | undefined]> = [
    ['Content-Type', true, true, undefined],
    ['content-type', { contains: 'json' }, true, undefined],
    ['content-type', { matches: '^text/' }, false, 'HTTP_HEADER_MISMATCH'],
    ['x-frame-options', 'DENY', true, undefined],
    ['x-frame-options', 'SAMEORIGIN', false, 'HTTP_HEADER_MISMATCH'],
    ['server', false, true, undefined],
    ['x-frame-options', false, false, 'HTTP_HEADER_PRESENT'],
    ['strict-transport-security', true, false, 'HTTP_HEADER_MISSING'],
    ['set-cookie', { matches: 'httponly' }, true, undefined],
    ['set-cookie', { matches: 'Secure' }, false, 'HTTP_HEADER_MISMATCH'],
  ];
  for (const [name, exp, want, code] of cases) {
    it(`${name} ${JSON.stringify(exp)} → ${want}`, () => {
      const parsed = httpCheck.options.parse({ expect: { headers: { [name]: exp } } });
      const [o] = judgeHeaders(res, parsed.expect.headers, id);
      assert.equal(o?.passed, want, o?.message);
      assert.equal(o?.code, code);
    });
  }
  it('never quotes a sensitive header value', () => {
    const parsed = httpCheck.options.parse({ expect: { headers: { 'set-cookie': { matches: 'Secure' } } } });
    const [o] = judgeHeaders(res, parsed.expect.headers, id);
    assert.ok(!JSON.stringify(o).includes('abcdef123456'));
  });
});

describe('judgeStatus', () => {
  const webhook = { status: [400, 401, 403] as StatusSpec, notStatus: ['5xx'] as StatusSpec };
  const cases: Array<[number, string[]]> = [
    [400, []],
    [403, []],
    [200, ['HTTP_UNEXPECTED_SUCCESS']],
    [202, ['HTTP_UNEXPECTED_SUCCESS']],
    [500, ['HTTP_SERVER_ERROR', 'HTTP_SERVER_ERROR']],
    [404, ['HTTP_STATUS']],
  ];
  for (const [status, want] of cases) {
    it(`unsigned webhook answered ${status} → ${want.join(',') || 'pass'}`, () => {
      const obs = judgeStatus(status, 'POST', '/api/stripe/webhook', webhook, 'evidence');
      assert.deepEqual(
        obs.filter((o) => !o.passed).map((o) => o.code),
        want,
      );
    });
  }
  it('explains an accepted unsigned webhook', () => {
    const [o] = judgeStatus(200, 'POST', '/api/stripe/webhook', webhook, 'evidence');
    assert.match(o?.message ?? '', /POST \/api\/stripe\/webhook was accepted with 200 where a rejection \(400\|401\|403\) was expected/);
  });
});
