// The JSON body guard: what JSON.parse accepts but PostgreSQL's jsonb refuses is named before storing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkJsonBody } from '../../src/lib/json-guard.ts';

const limits = { maxDepth: 64, maxBytes: 65_536 };
const nest = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

test('refused, each with the code naming the problem', () => {
  const cases: Array<[string, string | Buffer, string, number]> = [
    ['NUL in a value', '{"a":"\\u0000"}', 'body_nul_character', 400],
    ['NUL in a key', '{"\\u0000":1}', 'body_nul_character', 400],
    ['NUL inside text', '{"a":"x\\u0000y"}', 'body_nul_character', 400],
    ['lone high surrogate', '{"a":"\\ud800"}', 'body_lone_surrogate', 400],
    ['high surrogate then a letter', '{"a":"\\uD800x"}', 'body_lone_surrogate', 400],
    ['two high surrogates', '{"a":"\\ud800\\ud800"}', 'body_lone_surrogate', 400],
    ['lone low surrogate', '{"a":"\\udc00"}', 'body_lone_surrogate', 400],
    ['byte order mark', '\ufeff{"a":1}', 'body_bom', 400],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]), 'body_invalid_utf8', 400],
    ['UTF-8 encoded surrogate', Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]), 'body_invalid_utf8', 400],
    ['1e999999', '{"a":1e999999}', 'body_number_out_of_range', 400],
    ['-1e309', '{"a":-1e309}', 'body_number_out_of_range', 400],
    ['1e-999999', '{"a":1e-999999}', 'body_number_out_of_range', 400],
    ['0e-99999 (zero with a huge scale)', '[0e-99999]', 'body_number_out_of_range', 400],
    ['401 fractional digits', `[0.${'0'.repeat(400)}1]`, 'body_number_out_of_range', 400],
    ['20 000 levels', nest(20_000), 'body_too_deep', 400],
    ['65 levels', nest(65), 'body_too_deep', 400],
    ['65 levels of objects', `${'{"a":'.repeat(65)}1${'}'.repeat(65)}`, 'body_too_deep', 400],
    ['one byte over the size', `"${'x'.repeat(65_535)}"`, 'body_too_large', 413],
  ];
  for (const [name, body, code, status] of cases) {
    const err = checkJsonBody(typeof body === 'string' ? Buffer.from(body) : body, limits);
    assert.equal(err?.code, code, name);
    assert.equal(err?.statusCode, status, name);
  }
});

test('accepted: everything a 64-bit float serialises to, valid pairs, escaped backslashes, 64 levels', () => {
  const ok = [
    '{"a":1}',
    '{"a":"\\ud83d\\ude00"}',
    '{"a":"\\uD83D\\uDE00 ok"}',
    '{"a":"\\\\u0000"}',
    '{"a\\"b":"\\"\\\\ud800"}',
    '[5e-324, 1.7976931348623157e308, -0, 0.1, 123456789012345678901234567890, 1E+2, 2.5e-10]',
    `[0.${'0'.repeat(399)}1]`,
    nest(64),
    '{"text":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}',
    '{"n":"1e999999"}',
    '"\u00e9\u4e2d\u{1f600}"',
    `"${'x'.repeat(65_534)}"`,
  ];
  for (const body of ok) assert.equal(checkJsonBody(Buffer.from(body), limits), undefined, body.slice(0, 60));
});

test('malformed JSON is left to the parser (no crash, no false alarm)', () => {
  for (const body of ['{"a":', '"\\u00', '"\\ud800\\u', ']]]]', '-', '1e', '{"a":"\\', '']) {
    const err = checkJsonBody(Buffer.from(body), limits);
    assert.ok(err === undefined || err.statusCode === 400, body);
  }
});
