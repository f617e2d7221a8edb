import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { effectiveSources, listAllows, parseCsp } from '../../src/analysers/csp.ts';

describe('parseCsp', () => {
  it('splits directives and lower-cases names, keywords and hosts but keeps nonce values', () => {
    const [p] = parseCsp("Default-Src 'SELF' HTTPS://CDN.Example.com; script-src 'nonce-AbC123'");
    assert.ok(p);
    assert.deepEqual(p.directives.get('default-src'), ["'self'", 'https://cdn.example.com']);
    assert.deepEqual(p.directives.get('script-src'), ["'nonce-AbC123'"]);
    assert.deepEqual(p.invalid, []);
  });

  it('keeps the first occurrence of a repeated directive and records the duplicate', () => {
    const [p] = parseCsp("script-src 'self'; script-src *");
    assert.deepEqual(p?.directives.get('script-src'), ["'self'"]);
    assert.deepEqual(p?.duplicates, ['script-src']);
  });

  it('treats commas as separate policies', () => {
    const ps = parseCsp("default-src 'self', script-src 'none'");
    assert.equal(ps.length, 2);
    assert.deepEqual(ps[1]?.directives.get('script-src'), ["'none'"]);
  });

  const invalid: Array<[string, RegExp]> = [
    ['', /no directive/],
    [';;', /no directive/],
    ["default-src 'self", /malformed source/],
    ['default_src *', /malformed directive name/],
    ["default-src 'self' \u00e9", /printable ASCII/],
  ];
  for (const [text, reason] of invalid) {
    it(`marks ${JSON.stringify(text)} invalid`, () => {
      const [p] = parseCsp(text);
      assert.match(p?.invalid.join('; ') ?? '', reason);
    });
  }

  it('records unknown directives', () => {
    const [p] = parseCsp("default-src 'self'; scrpit-src *");
    assert.deepEqual(p?.unknown, ['scrpit-src']);
  });

  it('drops frame-ancestors, report-uri and sandbox from a meta policy', () => {
    const [p] = parseCsp("default-src 'self'; frame-ancestors 'none'; sandbox", 'meta');
    assert.equal(p?.directives.has('frame-ancestors'), false);
    assert.equal(p?.directives.has('sandbox'), false);
    assert.equal(p?.directives.has('default-src'), true);
  });
});

describe('fallbacks', () => {
  const cases: Array<[string, string, string[] | null]> = [
    ["default-src 'self'", 'script-src', ["'self'"]],
    ["default-src 'self'", 'style-src', ["'self'"]],
    ["default-src 'self'", 'object-src', ["'self'"]],
    ["default-src 'self'", 'base-uri', null],
    ["default-src 'self'", 'form-action', null],
    ["default-src 'self'", 'frame-ancestors', null],
    ["default-src 'self'; script-src 'none'", 'script-src', ["'none'"]],
    ["default-src 'self'; child-src https://a.example", 'frame-src', ['https://a.example']],
    ["script-src 'self'", 'worker-src', ["'self'"]],
    ["img-src 'self'", 'script-src', null],
  ];
  for (const [text, directive, expected] of cases) {
    it(`${directive} of "${text}" is ${JSON.stringify(expected)}`, () => {
      const [p] = parseCsp(text);
      assert.ok(p);
      assert.deepEqual(effectiveSources(p, directive), expected);
    });
  }
});

describe('listAllows', () => {
  const cases: Array<[string[] | null, string, boolean, boolean]> = [
    [null, "'unsafe-inline'", true, true],
    [["'self'", "'unsafe-inline'"], "'unsafe-inline'", true, true],
    [["'unsafe-inline'", "'nonce-abcdefghijklmnopqrstuv'"], "'unsafe-inline'", true, false],
    [["'unsafe-inline'", "'sha256-abc'"], "'unsafe-inline'", true, false],
    [["'none'"], '*', true, false],
    [["'none'", 'https:'], 'https:', true, true],
    [['*'], 'https:', true, true],
    [['*'], 'data:', true, false],
    [['https:'], 'https://cdn.example', true, true],
    [['https:'], 'http:', true, false],
    [['http:'], 'https://x.example', true, true],
    [['*.example.com'], 'https://a.example.com', true, true],
    [['https://*.example.com'], 'http://a.example.com', true, false],
    [["'strict-dynamic'", "'nonce-abcdefghijklmnopqrstuv'", 'https:'], 'https:', true, false],
    [["'strict-dynamic'", "'nonce-abcdefghijklmnopqrstuv'", 'https:'], 'https:', false, true],
    [["'strict-dynamic'", 'https:'], 'https:', true, true],
  ];
  for (const [list, expr, scriptLike, expected] of cases) {
    it(`${JSON.stringify(list)} ${expected ? 'allows' : 'blocks'} ${expr}${scriptLike ? '' : ' (non-script)'}`, () => {
      assert.equal(listAllows(list, expr, scriptLike), expected);
    });
  }
});
