// Shared parts of the deployment tests: paths of the artefacts, Debian tools, PromQL series names.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import type { TestContext } from 'node:test';
import { parser } from '@prometheus-io/lezer-promql';
import { parse as parseYaml } from 'yaml';

/** The repository root (the Docker build context, where compose files and deploy/ live). */
export const REPO = new URL('../../../../', import.meta.url);
/** Path of a file of the repository. */
export const repoPath = (p: string): string => new URL(p, REPO).pathname;
/** Text of a file of the repository. */
export const readRepo = (p: string): string => readFileSync(new URL(p, REPO), 'utf8');

export const PROMTOOL = '/usr/bin/promtool';
export const PROMETHEUS = '/usr/bin/prometheus';
export const RULES_FILE = 'deploy/prometheus/rules/pilot.rules.yml';

/**
 * Whether a tool is installed. Missing: the test is skipped, except under CI=true where that is a
 * failure (`.ci/run` installs Debian's prometheus package).
 */
export function requireTool(t: TestContext, path: string): boolean {
  if (existsSync(path)) return true;
  if (process.env.CI === 'true') throw new Error(`${path} is missing (CI=true: not skipping)`);
  t.skip(`${path} is missing`);
  return false;
}

/** Runs a command to completion (bounded) and returns its status and output. */
export function run(cmd: string, args: string[], o: { cwd?: string; timeoutMs?: number } = {}) {
  const r = spawnSync(cmd, args, { cwd: o.cwd ?? repoPath('.'), encoding: 'utf8', timeout: o.timeoutMs ?? 60_000 });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** A port that was free a moment ago (for processes that cannot be told to listen on port 0 and report it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** The rules of {@link RULES_FILE}. */
export interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
export function loadRules(file = RULES_FILE): Rule[] {
  const doc = parseYaml(readRepo(file)) as { groups: { name: string; rules: Rule[] }[] };
  return doc.groups.flatMap((g) => g.rules);
}

/** Grafana's built-in interval variables, replaced by a duration before a query is parsed as PromQL. */
const GRAFANA_DURATIONS = /\$__(rate_interval|interval|range)\b|\$\{__(rate_interval|interval|range)\}/g;

/** What a PromQL expression names: its series, or its syntax errors (offsets in the expression). */
export function promqlSeries(expr: string): { names: string[]; errors: number[] } {
  const text = expr.replace(GRAFANA_DURATIONS, '5m');
  const names: string[] = [];
  const errors: number[] = [];
  const c = parser.parse(text).cursor();
  do {
    if (c.type.isError) errors.push(c.from);
    if (c.name === 'VectorSelector') {
      const node = c.node;
      const id = node.getChild('Identifier');
      if (id) names.push(text.slice(id.from, id.to));
      // {__name__="x"} names a series too.
      for (const m of node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []) {
        const label = m.getChild('LabelName');
        const value = m.getChild('StringLiteral');
        if (label && value && text.slice(label.from, label.to) === '__name__') {
          names.push(JSON.parse(text.slice(value.from, value.to).replace(/^'|'$/g, '"')) as string);
        }
      }
    }
  } while (c.next());
  return { names: [...new Set(names)], errors };
}

/** Sample names of a Prometheus text exposition (`http_requests_total`, `…_bucket`, `…_sum`, …). */
export function exposedSeries(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
    if (m) names.add(m[1]!);
  }
  return names;
}

/**
 * The series named by `exprs` that are neither in `known` nor recorded by a rule: each with the query
 * that names it. Syntax errors are reported too, as `syntax error at <offset>`.
 */
export function unknownSeries(exprs: { where: string; expr: string }[], known: Set<string>): string[] {
  const problems: string[] = [];
  for (const { where, expr } of exprs) {
    const { names, errors } = promqlSeries(expr);
    for (const e of errors) problems.push(`${where}: syntax error at ${e} in ${expr}`);
    for (const n of names) if (!known.has(n)) problems.push(`${where}: unknown series ${n}`);
  }
  return problems;
}
