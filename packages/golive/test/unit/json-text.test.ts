import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findDuplicateKey, stripBom } from '../../src/core/json-text.ts';

describe('findDuplicateKey', () => {
  it('finds equal keys in one object, decoded, at any depth; strings and other objects do not count', () => {
    const cases: Array<[string, { key: string; path: string } | undefined]> = [
      ['{"status":"fail","status":"ok"}', { key: 'status', path: '(root)' }],
      ['{"st\\u0061tus":"fail","status":"ok"}', { key: 'status', path: '(root)' }],
      ['{"a":{"b":1,"b":2}}', { key: 'b', path: 'a' }],
      ['{"a":[{"x":1},{"x":2,"x":3}]}', { key: 'x', path: 'a.[]' }],
      ['{"status":"ok","checks":{"db":{"status":"pass"},"cache":{"status":"pass"}}}', undefined],
      ['{"k":"a,\\"b\\":1,{\\"k\\"","k2":"}"}', undefined],
      ['[{"a":1},{"a":1}]', undefined],
      ['"just a string"', undefined],
      [`${'['.repeat(5000)}${']'.repeat(5000)}`, undefined],
    ];
    for (const [text, expected] of cases) {
      JSON.parse(text);
      assert.deepEqual(findDuplicateKey(text), expected, text.slice(0, 60));
    }
  });

  it('strips one leading byte order mark only', () => {
    assert.equal(stripBom('\ufeff{}'), '{}');
    assert.equal(stripBom('{}'), '{}');
    assert.equal(stripBom('\ufeff\ufeff{}'), '\ufeff{}');
  });
});
