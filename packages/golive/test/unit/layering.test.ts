/**
 * The layering of shared/DESIGN.md, enforced: cli → config, runner, reporters, history; runner → checks (through
 * the registry) → http, load, analysers → core; runner → baseline (the comparison with a baseline report, which
 * gets the kinds' metric specs from its caller); history → reporters, baseline; core imports nothing of ours. Config gets the kinds from its
 * caller and may only name the kind contract's types; reporters may import core and, as types only, the
 * kinds' data modules. Imports are read with TypeScript's parser (static, re-exports and dynamic imports).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';

const SRC = resolve(import.meta.dirname, '../../src');

/** One import of a source file: where it points (relative to src/) and whether only types come through it. */
interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
}

/** What each layer (a directory of src/, or a top-level file) may import: runtime and type-only targets. */
interface Rule {
  runtime: RegExp[];
  typeOnly?: RegExp[];
}

const dir = (name: string) => new RegExp(`^${name}/`);
const RULES: Record<string, Rule> = {
  core: { runtime: [] },
  http: { runtime: [dir('core')] },
  analysers: { runtime: [dir('core')] },
  load: { runtime: [dir('core'), dir('http')] },
  checks: { runtime: [dir('core'), dir('http'), dir('load'), dir('analysers')] },
  presets: { runtime: [dir('core')], typeOnly: [/^config\/schema\.ts$/] },
  config: { runtime: [dir('core'), dir('presets')], typeOnly: [/^checks\/types\.ts$/] },
  baseline: { runtime: [dir('core')], typeOnly: [/^checks\/types\.ts$/] },
  runner: { runtime: [dir('core'), dir('checks'), dir('config'), dir('http'), dir('baseline')] },
  history: { runtime: [dir('core'), dir('baseline'), dir('reporters')], typeOnly: [/^checks\/types\.ts$/] },
  reporters: { runtime: [dir('core')], typeOnly: [/^checks\/[a-z0-9-]+\.data\.ts$/] },
  cli: { runtime: [/./] },
};
/** Top-level files: the public API may import anything. */
const TOP_LEVEL: Record<string, Rule> = { 'index.ts': { runtime: [/./] } };

/** The imports of one file's text, resolved against its path under src/. */
export function importsOf(file: string, text: string): Edge[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const edges: Edge[] = [];
  const add = (spec: string, typeOnly: boolean) => {
    if (!spec.startsWith('.')) return;
    edges.push({ from: file, to: relative(SRC, resolve(SRC, dirname(file), spec)), typeOnly });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const allTypes =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            clause.namedBindings !== undefined &&
            ts.isNamedImports(clause.namedBindings) &&
            clause.namedBindings.elements.length > 0 &&
            clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      add(node.moduleSpecifier.text, allTypes);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier.text, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg && ts.isStringLiteral(arg)) add(arg.text, false);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

/** Every import that points where its layer may not go, as `from → to` lines. */
export function violations(edges: readonly Edge[]): string[] {
  const out: string[] = [];
  for (const e of edges) {
    const [layer] = e.from.split('/');
    const rule = e.from.includes('/') ? RULES[layer ?? ''] : TOP_LEVEL[e.from];
    if (!rule) {
      out.push(`${e.from}: no layering rule for "${layer}" (add it to the test and to DESIGN.md's layout)`);
      continue;
    }
    if (e.to.startsWith(`${layer}/`)) continue; // within the layer
    const ok = rule.runtime.some((r) => r.test(e.to)) || (e.typeOnly && (rule.typeOnly ?? []).some((r) => r.test(e.to)));
    if (!ok) out.push(`${e.from} → ${e.to}${e.typeOnly ? ' (type only)' : ''}`);
  }
  return out;
}

function sourceFiles(root: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(root)) {
    const p = join(root, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (name.endsWith('.ts')) out.push(relative(SRC, p));
  }
  return out;
}

describe('layering', () => {
  it('every import of src/ points down the layers', () => {
    const files = sourceFiles(SRC);
    assert.ok(files.length > 50, `found ${files.length} source files`);
    const edges = files.flatMap((f) => importsOf(f, readFileSync(join(SRC, f), 'utf8')));
    assert.ok(edges.length > 100, `found ${edges.length} imports`);
    assert.deepEqual(violations(edges), []);
  });

  it('catches imports that point up, re-exports and dynamic imports, and type-only exceptions used at run time', () => {
    const cases: Array<[string, string, string[]]> = [
      ['core/x.ts', "import { runGate } from '../runner/run-gate.ts';", ['core/x.ts → runner/run-gate.ts']],
      ['checks/x.ts', "export { renderJson } from '../reporters/json.ts';", ['checks/x.ts → reporters/json.ts']],
      ['load/x.ts', "const m = await import('../checks/registry.ts');", ['load/x.ts → checks/registry.ts']],
      ['config/x.ts', "import { builtinChecks } from '../checks/registry.ts';", ['config/x.ts → checks/registry.ts']],
      ['config/x.ts', "import { defineCheck } from '../checks/types.ts';", ['config/x.ts → checks/types.ts']],
      ['config/x.ts', "import type { CheckDefinition } from '../checks/types.ts';", []],
      ['config/x.ts', "import { type CheckDefinition } from '../checks/types.ts';", []],
      ['reporters/x.ts', "import type { HealthData } from '../checks/health.data.ts';", []],
      ['reporters/x.ts', "import { healthCheck } from '../checks/health.ts';", ['reporters/x.ts → checks/health.ts']],
      ['reporters/x.ts', "import type { HealthOptions } from '../checks/health.ts';", ['reporters/x.ts → checks/health.ts (type only)']],
      ['runner/x.ts', "import { renderJson } from '../reporters/json.ts';", ['runner/x.ts → reporters/json.ts']],
      ['newlayer/x.ts', "import { a } from '../core/errors.ts';", ['newlayer/x.ts: no layering rule for "newlayer" (add it to the test and to DESIGN.md\'s layout)']],
    ];
    for (const [file, text, expected] of cases) assert.deepEqual(violations(importsOf(file, text)), expected, `${file}: ${text}`);
  });
});
