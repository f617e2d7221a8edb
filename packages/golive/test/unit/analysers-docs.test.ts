/**
 * Keeps the docs in step with the security kinds: every finding code the analysers and the security-headers,
 * tls and exposure checks can emit, and every option they accept, is documented in docs/checks.md; every
 * Observatory result and modifier is in docs/security-grades.md.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SCORE_TABLE } from '../../src/analysers/scoring.ts';
import { exposureCheck } from '../../src/checks/exposure.ts';
import { securityHeadersCheck } from '../../src/checks/security-headers.ts';
import { tlsCheck } from '../../src/checks/tls.ts';
import type { CheckDefinition } from '../../src/checks/types.ts';
import { NETWORK_FINDING } from '../../src/checks/util/network.ts';

const root = new URL('../../../../', import.meta.url);
const checksDoc = readFileSync(new URL('docs/checks.md', root), 'utf8');
const gradesDoc = readFileSync(new URL('docs/security-grades.md', root), 'utf8');
const CODE = /'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)'/g;

function section(kind: string): string {
  const start = checksDoc.indexOf(`\n## ${kind}\n`);
  assert.ok(start >= 0, `docs/checks.md has no "## ${kind}" section`);
  const next = checksDoc.indexOf('\n## ', start + 1);
  return checksDoc.slice(start, next < 0 ? undefined : next);
}

function codesIn(files: string[]): Set<string> {
  const out = new Set<string>();
  for (const f of files) for (const m of readFileSync(new URL(`packages/golive/src/${f}`, root), 'utf8').matchAll(CODE)) out.add(m[1] as string);
  return out;
}

const analyserFiles = readdirSync(new URL('packages/golive/src/analysers/', root))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => `analysers/${f}`);

const kinds: Array<[CheckDefinition, string[], string]> = [
  [securityHeadersCheck, [...analyserFiles, 'checks/security-headers.ts'], 'SECURITY_HEADERS'],
  [tlsCheck, ['checks/tls.ts'], ''],
  [exposureCheck, ['checks/exposure.ts'], 'EXPOSURE'],
];

describe('docs cover the security kinds', () => {
  for (const [def, files, networkPrefix] of kinds) {
    it(`${def.kind}: finding codes`, () => {
      const found = codesIn(files);
      // Error-catalogue codes, the network prefix itself and Node's TLS error names are not findings.
      for (const c of [...found]) if (c.startsWith('GOLIVE_ERR_') || c === networkPrefix || (def.kind === 'tls' && !c.startsWith('TLS_'))) found.delete(c);
      if (networkPrefix) for (const suffix of Object.values(NETWORK_FINDING)) found.add(`${networkPrefix}_${suffix}`);
      assert.ok(found.size >= 5, 'too few codes found: the pattern is broken');
      const text = section(def.kind);
      assert.deepEqual(
        [...found].filter((c) => !text.includes(`\`${c}\``)),
        [],
        `undocumented finding codes of ${def.kind}`,
      );
    });
    it(`${def.kind}: options`, () => {
      const shape = (def.options as unknown as { shape: Record<string, unknown> }).shape;
      const text = section(def.kind);
      assert.deepEqual(
        Object.keys(shape).filter((k) => !text.includes(`\`${k}\``)),
        [],
        `undocumented options of ${def.kind}`,
      );
    });
  }

  it('security-grades.md lists every result with its modifier', () => {
    for (const [test, results] of Object.entries(SCORE_TABLE)) {
      assert.ok(gradesDoc.includes(`### ${test}`), `no section for ${test}`);
      for (const [result, modifier] of Object.entries(results)) {
        const line = gradesDoc.split('\n').find((l) => l.startsWith(`| \`${result}\` |`));
        assert.ok(line, `${result} missing`);
        const shown = modifier > 0 ? `+${modifier}` : String(modifier);
        assert.ok(line.includes(`| ${shown} `) || line.includes(`| ${shown} (`), `${result}: modifier ${shown} not in "${line}"`);
      }
    }
  });
});
