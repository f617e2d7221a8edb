import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OutputCapture, parseJunit } from '../../src/checks/command.ts';

const PLAYWRIGHT = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites id="" name="" tests="4" failures="1" skipped="1" errors="0" time="3.2">
  <testsuite name="auth.spec.ts" tests="2" failures="1" skipped="0" errors="0">
    <testcase name="logs in" classname="auth.spec.ts" time="1.1"></testcase>
    <testcase name="rejects a bad password" classname="auth.spec.ts" time="0.9">
      <failure message="expect(received).toBe(expected)" type="FAILURE">Error: expect(received).toBe(expected)
    at auth.spec.ts:12</failure>
    </testcase>
  </testsuite>
  <testsuite name="billing.spec.ts" tests="2" failures="0" skipped="1" errors="0">
    <testcase name="shows plans" classname="billing.spec.ts"></testcase>
    <testcase name="buys a plan" classname="billing.spec.ts"><skipped/></testcase>
  </testsuite>
</testsuites>`;

const PYTEST = `<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="1" failures="0" skipped="0" tests="2">
<testcase classname="tests.test_api" name="test_health"/>
<testcase classname="tests.test_api" name="test_db"><error message="fixture 'db' not found">E fixture</error></testcase>
</testsuite></testsuites>`;

const BARE_SUITE = `<testsuite name="jest" tests="3"><testcase name="a"/><testcase name="b"/><testcase name="c"><failure>boom
trace</failure></testcase></testsuite>`;

const NESTED = `<testsuites><testsuite name="outer"><testsuite name="inner"><testcase name="deep"><failure message="x"/></testcase></testsuite><testcase name="top"/></testsuite></testsuites>`;

const ATTRS_ONLY = `<testsuites><testsuite name="a" tests="5" failures="2" errors="0" skipped="1"/><testsuite name="b" tests="3" failures="0" errors="1" skip="0"/></testsuites>`;

describe('parseJunit', () => {
  const cases: Array<[string, string, { tests: number; failures: number; errors: number; skipped: number; failed: string[] }]> = [
    ['Playwright', PLAYWRIGHT, { tests: 4, failures: 1, errors: 0, skipped: 1, failed: ['auth.spec.ts › rejects a bad password: expect(received).toBe(expected)'] }],
    ['pytest', PYTEST, { tests: 2, failures: 0, errors: 1, skipped: 0, failed: ["tests.test_api › test_db: fixture 'db' not found"] }],
    ['bare <testsuite> root', BARE_SUITE, { tests: 3, failures: 1, errors: 0, skipped: 0, failed: ['c: boom'] }],
    ['nested suites', NESTED, { tests: 2, failures: 1, errors: 0, skipped: 0, failed: ['deep: x'] }],
    ['attributes only', ATTRS_ONLY, { tests: 8, failures: 2, errors: 1, skipped: 1, failed: [] }],
  ];
  for (const [name, xml, want] of cases) it(name, () => assert.deepEqual(parseJunit(xml), want));

  it('rejects malformed XML and non-JUnit documents', () => {
    assert.throws(() => parseJunit('<testsuites><testsuite></testsuites>'), /not well-formed/);
    assert.throws(() => parseJunit('<html><body/></html>'), /no <testsuites>/);
  });
});

describe('OutputCapture', () => {
  it('keeps everything under the cap', () => {
    const c = new OutputCapture(1024);
    c.push(Buffer.from('hello '));
    c.push(Buffer.from('world'));
    assert.equal(c.text(), 'hello world');
    assert.equal(c.truncated, false);
  });
  it('keeps head and tail over the cap and says how much was dropped', () => {
    const c = new OutputCapture(1024);
    c.push(Buffer.from('START'));
    for (let i = 0; i < 1000; i++) c.push(Buffer.from(`line ${i}\n`));
    c.push(Buffer.from('END'));
    const t = c.text();
    assert.equal(c.truncated, true);
    assert.ok(t.startsWith('START'));
    assert.ok(t.endsWith('END'));
    assert.match(t, /\[… \d+ bytes omitted …\]/);
    assert.ok(Buffer.byteLength(t) < 1024 + 64);
    assert.equal(c.total, 5 + 3 + Array.from({ length: 1000 }, (_, i) => `line ${i}\n`.length).reduce((a, b) => a + b, 0));
  });
});
