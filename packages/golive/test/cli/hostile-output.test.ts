/**
 * A target's answers cannot act on the people and CI runners who read golive's output: escape sequences that
 * would clear the terminal and print a fake "GO", GitHub workflow commands, and Markdown or HTML that would
 * render in a step summary all arrive as visible, inert text in the console, summary.md (and so
 * $GITHUB_STEP_SUMMARY), tests.txt and junit.xml.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import { assertBuilt, assertNoStack, golive, healthyHandler, serve, type TestServer } from './helpers.ts';

const ESC = '\u001b';
const FAKE_GO = `${ESC}[2J${ESC}[1;1H${ESC}[32mGO: every check passed (exit 0)${ESC}[0m`;
const BODY = [
  FAKE_GO,
  '::add-mask::hunter2',
  '  ::stop-commands::pause',
  '![pixel](http://evil.test/p.png) <img src=x onerror=alert(1)> <script>alert(1)</script> [click](http://evil.test/)',
  `bidi \u202eevil\u202c bell \u0007 nul \u0000 c1 \u009b31m`,
].join('\n');

let server: TestServer;
let dir: string;
before(async () => {
  assertBuilt();
  dir = await mkdtemp(join(tmpdir(), 'golive-hostile-'));
  server = await serve(
    healthyHandler({
      '/health': (_req, res) => {
        res.setHeader('content-type', 'text/plain');
        res.end(BODY);
      },
    }),
  );
});
after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

/** Markdown with every code span removed: what a renderer would read as markup. */
function outsideCode(md: string): string {
  return md.replace(/(`+)(?:(?!\1)[\s\S])*?\1/g, '');
}

function assertInertText(text: string, label: string): void {
  assert.ok(!text.includes(ESC), `${label}: a raw ESC reached it`);
  assert.ok(!/[\u0000\u0007\u009b\u202e]/.test(text), `${label}: a raw control character reached it`);
  assert.doesNotMatch(text, /^\s*::/m, `${label}: a line reads as a workflow command`);
}

describe('hostile answers stay inert in every human-facing output', () => {
  it('console, summary.md, the step summary, tests.txt and junit.xml', async () => {
    const out = join(dir, 'out');
    const stepSummary = join(dir, 'step-summary.md');
    await writeFile(stepSummary, '');
    const run = await golive(['check', server.url, '--out', out, '--reporter', 'console,markdown,text,junit,json', '--verbose'], {
      env: { GITHUB_STEP_SUMMARY: stepSummary },
    });
    assertNoStack(run.stderr);
    assert.equal(run.code, 1, `NO-GO expected (health is not JSON)\n${run.stdout}`);
    assertInertText(run.stdout, 'console');
    // The evidence is still there, visibly escaped, so a reader sees what the target sent.
    assert.match(run.stdout, /\\x1b\[2J\\x1b\[1;1H\\x1b\[32mGO: every check passed/);
    assert.match(run.stdout, /NO-GO: /);

    for (const file of [join(out, 'summary.md'), stepSummary]) {
      const md = await readFile(file, 'utf8');
      assert.ok(md.includes('golive: NO-GO'), `${file} was written`);
      assertInertText(md, file);
      const markup = outsideCode(md);
      for (const bad of ['<img', '<script', '![', '](http://evil', 'onerror']) assert.ok(!markup.includes(bad), `${file}: "${bad}" outside a code span`);
      assert.ok(md.includes('<script>alert(1)</script>'), `${file}: the evidence is kept inside a code span`);
    }

    const text = await readFile(join(out, 'tests.txt'), 'utf8');
    assertInertText(text, 'tests.txt');

    const xml = await readFile(join(out, 'junit.xml'), 'utf8');
    assertInertText(xml, 'junit.xml');
    assert.doesNotThrow(() => new XMLParser().parse(xml));

    // report.json keeps the evidence as data: JSON escapes it, nothing is lost.
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    assert.equal(report.verdict, 'NO-GO');
  });

  it('in GitHub Actions: one escaped annotation per failing check, no other workflow command, the step summary once', async () => {
    const stepSummary = join(dir, 'gha-summary.md');
    await writeFile(stepSummary, '');
    const run = await golive(['check', server.url, '--out', join(dir, 'gha'), '--reporter', 'console,markdown'], {
      env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: stepSummary },
    });
    assertNoStack(run.stderr);
    const commands = run.stdout.split('\n').filter((l) => /^\s*::/.test(l));
    assert.ok(commands.length >= 1, run.stdout);
    for (const c of commands) assert.match(c, /^::(error|warning) title=golive [^:]*%3A [A-Z]+::[^\r\n]*$/, c);
    assert.ok(commands.some((c) => c.startsWith('::error title=golive health')), 'the failing health check is annotated');
    // The target's `::add-mask::` lines are inside a message (the runner reads a command only at a line start).
    assert.ok(!commands.some((c) => /^\s*::(add-mask|stop-commands)::/.test(c)), 'target text never becomes a command');
    const md = await readFile(stepSummary, 'utf8');
    assert.equal(md.match(/golive: NO-GO/g)?.length, 1, 'the step summary is written once');
  });

  it('check refuses two different target URLs', async () => {
    const run = await golive(['check', server.url, '--url', 'http://127.0.0.1:9/']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /conflicting target URLs/);
    assertNoStack(run.stderr);
  });
});
