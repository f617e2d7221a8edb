/**
 * Keeps docs/checks.md (## load) and docs/load.md in step with the load check: every finding code the check
 * can emit, every option it accepts and every threshold metric are documented.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { loadCheck } from '../../src/checks/load.ts';

const root = new URL('../../../../', import.meta.url);
const checksDoc = readFileSync(new URL('docs/checks.md', root), 'utf8');
const loadDoc = readFileSync(new URL('docs/load.md', root), 'utf8');

function section(kind: string): string {
  const start = checksDoc.indexOf(`\n## ${kind}\n`);
  assert.ok(start >= 0, `docs/checks.md has no "## ${kind}" section`);
  const next = checksDoc.indexOf('\n## ', start + 1);
  return checksDoc.slice(start, next < 0 ? undefined : next);
}

describe('load docs', () => {
  it('every finding code is documented', () => {
    const src = readFileSync(new URL('packages/golive/src/checks/load.ts', root), 'utf8');
    const found = new Set([...src.matchAll(/'(LOAD_[A-Z_]+)'/g)].map((m) => m[1] as string));
    assert.ok(found.size >= 6, 'too few codes found: the pattern is broken');
    const text = section('load');
    assert.deepEqual([...found].filter((c) => !text.includes(`\`${c}\``)), []);
  });

  it('every option is documented', () => {
    const shape = (loadCheck.options as unknown as { shape: Record<string, unknown> }).shape;
    assert.ok(Object.keys(shape).length > 10);
    const text = section('load');
    assert.deepEqual(Object.keys(shape).filter((k) => !text.includes(`| \`${k}\``)), []);
  });

  it('docs/load.md describes the result format fields', () => {
    for (const field of ['format', 'version', 'histograms', 'samplesUs', 'requests', 'latencyUncorrected', 'scheduleLag', 'stalls', 'dedup', 'replies', 'timeline', 'errorRate']) {
      assert.ok(loadDoc.includes(`\`${field}\``), `docs/load.md does not mention \`${field}\``);
    }
  });
});
