/**
 * The run history on disk: one file per run, rows per (label, release) with reruns replacing their row,
 * pruning, corrupt files kept aside, relative links, escaping, redaction and concurrent writers.
 */
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KindMetricSpecs } from '../../src/baseline/compare.ts';
import { Redactor } from '../../src/core/redact.ts';
import type { CheckResult, Report } from '../../src/core/result.ts';
import { type HistoryDocument, trendPlots } from '../../src/history/model.ts';
import { recordRun } from '../../src/history/store.ts';

// A kind known only here: the history reads figures through the specs it is handed, never by kind name.
const kinds: KindMetricSpecs[] = [{ kind: 't-widget', metrics: { widgets: { direction: 'higher', tolerance: 0.1, unit: 'w' } } }];
const SECRET = 'tok_planted_5e1f0c9a77';
const redactor = Redactor.fromEnv({ API_TOKEN: SECRET });

let seq = 0;
function report(label: string, release: string | null, widgets = 10, extra: Partial<Report> = {}): Report {
  seq++;
  const check: CheckResult = {
    id: 'w',
    kind: 't-widget',
    title: 'Widgets',
    level: 'error',
    stage: 'go-live',
    startedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
    durationMs: 1,
    observations: [],
    warnings: [],
    metrics: { widgets },
    artifacts: [],
    summary: `counted with ${SECRET}`,
    status: 'pass',
  };
  return {
    schemaVersion: '1.1.0',
    tool: { name: 'golive', version: '0.1.0' },
    runId: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    startedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
    finishedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, seq + 1)).toISOString(),
    durationMs: 1000,
    target: { baseUrl: 'http://127.0.0.1:1', managed: false },
    source: 'test',
    label,
    release,
    verdict: 'GO',
    exitCode: 0,
    totals: { checks: 1, pass: 1, fail: 0, error: 0, skip: 0, warnings: 0 },
    stages: [{ name: 'go-live', status: 'pass', failPolicy: 'continue', durationMs: 1, checks: [check] }],
    ...extra,
  };
}

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'golive-history-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

let n = 0;
const freshDir = async () => {
  const dir = join(root, `h${++n}`);
  await mkdir(dir);
  return dir;
};
const record = (dir: string, r: Report, extra: { keep?: number; htmlReport?: string } = {}) =>
  recordRun(r, { dir, keep: extra.keep ?? 100, kinds, redactor, htmlReport: extra.htmlReport ? { dir: dirname(extra.htmlReport), file: basename(extra.htmlReport) } : undefined });
const readHistory = async (dir: string) => JSON.parse(await readFile(join(dir, 'history.json'), 'utf8')) as HistoryDocument;

/** Every file under dir, relative. */
async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(join(e.parentPath, e.name).slice(dir.length + 1));
  return out.sort();
}

describe('recordRun', () => {
  it('keeps one row per (label, release): a rerun replaces its row, every run stays', async () => {
    const dir = await freshDir();
    const first = report('gate', 'v1', 10);
    const other = report('gate', 'v2', 12);
    const rerun = report('gate', 'v1', 11);
    const smoke = report('gate [smoke]', 'v1', 11);
    for (const r of [first, other, rerun, smoke]) assert.deepEqual((await record(dir, r)).problems, []);
    const h = await readHistory(dir);
    assert.equal(h.runs.length, 4);
    assert.deepEqual(
      h.rows.map((r) => [r.label, r.release, r.runId, r.runs]),
      [
        ['gate [smoke]', 'v1', smoke.runId, 1],
        ['gate', 'v1', rerun.runId, 2],
        ['gate', 'v2', other.runId, 1],
      ],
    );
    const index = await readFile(join(dir, 'index.html'), 'utf8');
    const releaseRows = index.split('id="releases"')[1]?.split('</table>')[0] ?? '';
    assert.equal((releaseRows.match(/<tr><td>/g) ?? []).length, 3, 'one index row per key');
    assert.ok(!releaseRows.includes(first.runId), 'the replaced run is not a row');
    assert.ok(index.includes(`runs/${first.runId}.json`), 'but it is still listed among every run');
  });

  it('plots the declared figures and the result counts across runs', async () => {
    const dir = await freshDir();
    for (const w of [10, 12, 9]) await record(dir, report('gate', `v${w}`, w));
    const plots = trendPlots(await readHistory(dir));
    assert.deepEqual(
      plots.map((p) => p.id),
      ['trend-counts', 'trend-w-widgets'],
    );
    assert.deepEqual(plots[1]?.series[0]?.points, [
      [1, 10],
      [2, 12],
      [3, 9],
    ]);
    assert.equal(plots[1]?.y.unit, 'w');
    assert.match(await readFile(join(dir, 'index.html'), 'utf8'), /id="trend-w-widgets"/);
  });

  it('prunes to the last N runs, with their copied HTML reports', async () => {
    const dir = await freshDir();
    const html = join(root, 'report.html');
    await writeFile(html, '<!doctype html><title>run</title>');
    const runs = [1, 2, 3, 4, 5].map((i) => report('gate', `v${i}`));
    for (const r of runs) await record(dir, r, { keep: 3, htmlReport: html });
    const h = await readHistory(dir);
    assert.deepEqual(
      h.runs.map((r) => r.runId),
      runs.slice(2).map((r) => r.runId),
    );
    assert.deepEqual(
      (await readdir(join(dir, 'runs'))).sort(),
      runs.slice(2).map((r) => `${r.runId}.json`),
    );
    assert.deepEqual(
      (await readdir(join(dir, 'reports'))).sort(),
      runs.slice(2).map((r) => r.runId),
    );
  });

  it('keeps a corrupt run file and a corrupt history.json aside, reports them and rebuilds', async () => {
    const dir = await freshDir();
    await record(dir, report('gate', 'v1'));
    await writeFile(join(dir, 'runs', 'broken.json'), '{"schemaVersion": "1.1.0", "runId": ');
    await writeFile(join(dir, 'runs', 'alien.json'), '{"hello": "world"}');
    await writeFile(join(dir, 'history.json'), 'not json at all');
    // A newer golive's run file is not corrupt: left where it is.
    await writeFile(join(dir, 'runs', 'newer.json'), '{"schemaVersion": "2.0.0"}');
    const r = await record(dir, report('gate', 'v2'));
    assert.equal(r.problems.length, 4, r.problems.join('\n'));
    assert.ok(r.problems.includes('runs/newer.json: a report of schema version 2.0.0; this golive reads 1.x: left in place and not shown'), r.problems.join('\n'));
    assert.ok(r.problems.some((p) => /^runs\/broken\.json: not JSON .*kept aside as runs\/broken\.json\.corrupt-/.test(p)), r.problems.join('\n'));
    assert.ok(r.problems.some((p) => /^runs\/alien\.json: not a golive report: schemaVersion: .*kept aside/.test(p)), r.problems.join('\n'));
    assert.ok(r.problems.some((p) => /^history\.json is not JSON; kept aside as history\.json\.corrupt-.* and rebuilt/.test(p)), r.problems.join('\n'));
    const all = await files(dir);
    const aside = (prefix: string) => all.find((f) => f.startsWith(prefix));
    assert.equal(await readFile(join(dir, aside('runs/broken.json.corrupt-') ?? 'x'), 'utf8'), '{"schemaVersion": "1.1.0", "runId": ');
    assert.equal(await readFile(join(dir, aside('history.json.corrupt-') ?? 'x'), 'utf8'), 'not json at all');
    assert.equal((await readHistory(dir)).runs.length, 2, 'rebuilt from the two good run files');
    // Kept aside once: the next run meets nothing corrupt (and the newer file, again, left alone).
    assert.deepEqual((await record(dir, report('gate', 'v3'))).problems, ['runs/newer.json: a report of schema version 2.0.0; this golive reads 1.x: left in place and not shown']);
    assert.equal(await readFile(join(dir, 'runs/newer.json'), 'utf8'), '{"schemaVersion": "2.0.0"}');
  });

  it('links with relative paths only, so the directory can be moved; the copied report keeps its artifacts', async () => {
    const dir = await freshDir();
    const out = join(root, 'out-moved');
    await mkdir(join(out, 'load'), { recursive: true });
    await writeFile(join(out, 'report.html'), '<!doctype html><a href="load/w.json">load</a>');
    await writeFile(join(out, 'load/w.json'), `{"token": "${SECRET}"}`);
    const withArtifact = report('gate', 'v1');
    withArtifact.stages[0]?.checks[0]?.artifacts.push('load/w.json', '../../etc/passwd');
    const r = await record(dir, withArtifact, { htmlReport: join(out, 'report.html') });
    assert.deepEqual(r.problems, ['artifacts not copied into the history (over 33554432 bytes in all, or outside the output directory): ../../etc/passwd']);
    await record(dir, report('gate', 'v2'));
    const moved = join(root, 'moved', 'elsewhere');
    await mkdir(dirname(moved), { recursive: true });
    await cp(dir, moved, { recursive: true });
    await rm(dir, { recursive: true });
    const index = await readFile(join(moved, 'index.html'), 'utf8');
    const links = [...index.matchAll(/\b(?:href|src)="([^"]*)"/g)].map((m) => m[1] ?? '');
    assert.ok(links.length >= 5, `found ${links.length} links`);
    for (const link of links) {
      assert.doesNotMatch(link, /^(?:[a-z]+:|\/)/i, `${link} is not relative`);
      assert.ok((await stat(resolve(moved, decodeURIComponent(link)))).isFile(), `${link} does not resolve in the moved directory`);
    }
    assert.ok(links.some((l) => /^reports\/[^/]+\/report\.html$/.test(l)), 'the copied HTML report is linked');
    const copied = links.find((l) => l.endsWith('report.html')) ?? '';
    assert.equal(await readFile(resolve(moved, dirname(copied), 'load/w.json'), 'utf8'), '{"token": "[REDACTED]"}', 'its artifact is beside it, redacted');
  });

  it('escapes what reports carry, and redacts every byte it writes', async () => {
    const dir = await freshDir();
    const html = join(root, 'secret-report.html');
    await writeFile(html, `<p>${SECRET}</p>`);
    const r = await record(dir, report('<script>alert(1)</script>', `v1"><img src=x onerror=alert(2)> ${SECRET}`), { htmlReport: html });
    assert.deepEqual(r.problems, []);
    const index = await readFile(join(dir, 'index.html'), 'utf8');
    assert.ok(!index.includes('<script>'), 'a label cannot open a script');
    assert.ok(!index.includes('<img'), 'a release cannot add an element');
    assert.ok(index.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    for (const f of await files(dir)) assert.ok(!(await readFile(join(dir, f), 'utf8')).includes(SECRET), `${f} holds the planted secret`);
  });

  it('takes over a stale lock, and waits a bounded time for a live one without losing the run', async () => {
    const dir = await freshDir();
    // A lock left by a run that died: not refreshed for a minute.
    await mkdir(join(dir, '.lock'));
    const old = new Date(Date.now() - 60_000);
    await utimes(join(dir, '.lock'), old, old);
    const stale = await record(dir, report('gate', 'v1'));
    assert.deepEqual(stale.problems, []);
    assert.equal((await readHistory(dir)).runs.length, 1);
    // A lock another run holds right now (fresh): this run's file is kept, the rebuild is left to the next run.
    await mkdir(join(dir, '.lock'));
    const held = await recordRun(report('gate', 'v2'), { dir, keep: 100, kinds, redactor, lockWaitMs: 300 });
    assert.equal(held.recorded, true);
    assert.match(held.problems.join('\n'), /^cannot lock \.lock \(ELOCKED\): history\.json and index\.html were not rebuilt; the next run rebuilds them$/);
    assert.equal((await readdir(join(dir, 'runs'))).length, 2);
    assert.equal((await readHistory(dir)).runs.length, 1);
    await rm(join(dir, '.lock'), { recursive: true });
    await record(dir, report('gate', 'v3'));
    assert.equal((await readHistory(dir)).runs.length, 3, 'the next run rebuilds with every run file');
  });

  it('loses no row when many runs write at once', async () => {
    const dir = await freshDir();
    const runs = Array.from({ length: 8 }, (_, i) => report('gate', `c${i}`));
    const results = await Promise.all(runs.map((r) => record(dir, r)));
    assert.deepEqual(
      results.flatMap((x) => x.problems),
      [],
    );
    const h = await readHistory(dir);
    assert.deepEqual(h.rows.map((r) => r.release).sort(), runs.map((r) => r.release).sort());
    assert.ok(!(await files(dir)).some((f) => f.includes('.tmp-') || f.startsWith('.lock')), 'no temporary file or lock left behind');
  });
});
