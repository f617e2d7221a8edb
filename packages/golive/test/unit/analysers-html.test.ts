import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeHeaders } from '../../src/analysers/analyze.ts';
import { externalScripts, metaCspPolicies, metaReferrerPolicy, scanHtml } from '../../src/analysers/html.ts';
import { analyzeSri } from '../../src/analysers/sri.ts';

describe('HTML scanning: tags as a browser tokenizes them', () => {
  // [name, html, expected script srcs in document order]
  const scriptCases: Array<[string, string, string[]]> = [
    ['plain script tags', '<script src="/a.js"></script><script src="/b.js"></script>', ['/a.js', '/b.js']],
    ['a > inside a double-quoted attribute does not end the tag', '<script data-x="a>b" src="https://cdn.example/x.js"></script>', ['https://cdn.example/x.js']],
    ['a > inside a single-quoted attribute does not end the tag', "<script title='1 > 0' src='/a.js'></script>", ['/a.js']],
    ['a <script inside a script is text, not a tag', '<script>document.write("<script src=\'http://evil.example/x.js\'></scr" + "ipt>")</script>', []],
    ['a <script inside a string of an external script is text', '<script src="/a.js">var s = "<script src=http://evil.example/x.js>";</script>', ['/a.js']],
    ['a <script inside a style element is text', '<style>/* <script src="http://evil.example/x.js"> */</style>', []],
    ['a commented-out script does not count', '<!-- <script src="http://evil.example/x.js"></script> -->', []],
    ['a comment holding > does not end early', '<!-- a > b <script src="http://evil.example/x.js"></script> --><script src="/a.js"></script>', ['/a.js']],
    ['an unterminated comment hides the rest', '<script src="/a.js"></script><!-- <script src="http://evil.example/x.js"></script>', ['/a.js']],
    ['a script in a textarea is text', '<textarea><script src="http://evil.example/x.js"></script></textarea>', []],
    ['entities in attribute values are decoded', '<script src="/a.js?x=1&amp;y=2"></script>', ['/a.js?x=1&y=2']],
    ['tag and attribute names in any case', '<SCRIPT SRC=/a.js></SCRIPT>', ['/a.js']],
    ['a tag name that only starts with script is another tag', '<scripts src="/a.js"></scripts>', []],
    ['the first of a repeated attribute wins', '<script src="/first.js" src="/second.js"></script>', ['/first.js']],
  ];
  for (const [name, html, srcs] of scriptCases) {
    it(name, () => {
      assert.deepEqual(
        externalScripts(html).map((a) => a.src),
        srcs,
      );
    });
  }

  it('reads a meta CSP whose content holds >', () => {
    const html = `<head><meta http-equiv="Content-Security-Policy" content="default-src 'self'; img-src data: >"></head>`;
    assert.deepEqual(metaCspPolicies(html), ["default-src 'self'; img-src data: >"]);
  });

  it('ignores a meta tag written inside a script', () => {
    const html = `<script>const t = '<meta http-equiv="Content-Security-Policy" content="default-src *">';</script>`;
    assert.deepEqual(metaCspPolicies(html), []);
    assert.equal(scanHtml(html).metas.length, 0);
  });

  it('takes the last meta referrer policy, entity-decoded', () => {
    const html = '<meta name="referrer" content="unsafe-url"><meta NAME="Referrer" content="no&#45;referrer">';
    assert.equal(metaReferrerPolicy(html), 'no-referrer');
  });

  it('a <script inside a script cannot fail SRI', () => {
    const html = '<html><script>var t = "<script src=\'http://cdn.example/x.js\'></script>";</script></html>';
    const r = analyzeSri(html, true, 'https://example.com/');
    // An inline script is still a script: the Observatory's "all scripts from a secure origin" (0).
    assert.equal(r.result, 'sri-not-implemented-but-all-scripts-loaded-from-secure-origin');
    assert.deepEqual(r.findings, []);
  });

  it('a > in an attribute value does not hide a script from SRI', () => {
    const html = '<html><script title="a>b" src="http://cdn.example/x.js"></script></html>';
    const r = analyzeSri(html, true, 'https://example.com/');
    assert.equal(r.result, 'sri-not-implemented-and-external-scripts-not-loaded-securely');
    assert.deepEqual(
      r.findings.map((f) => f.code),
      ['SRI_INSECURE_SCRIPT'],
    );
  });

  it('a meta CSP with > in an attribute reaches the CSP analysis', () => {
    const body = `<!doctype html><html><head><meta data-note="x>y" http-equiv="Content-Security-Policy" content="default-src 'none'; frame-ancestors 'none'"></head></html>`;
    const analysis = analyzeHeaders({ url: 'https://example.com/', status: 200, headers: { 'content-type': 'text/html' }, body });
    assert.notEqual(analysis.tests['content-security-policy'].result, 'csp-not-implemented');
  });
});
