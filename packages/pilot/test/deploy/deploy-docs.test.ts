// The deployment checklist, the runbooks and pilot's README name files, links and alerts that exist.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { loadRules, readRepo, repoPath } from './deploy-helpers.ts';

const DOCS = [
  'packages/pilot/docs/DEPLOYMENT-CHECKLIST.md',
  ...readdirSync(repoPath('packages/pilot/docs/runbooks')).map((f) => `packages/pilot/docs/runbooks/${f}`),
  'packages/pilot/README.md',
];
const alerts = new Set(loadRules().flatMap((r) => (r.alert ? [r.alert] : [])));

/** GitHub's anchor of a Markdown heading. */
const slug = (h: string) =>
  h
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replace(/ /g, '-');

test('relative links of the deployment docs resolve (files and headings)', () => {
  let checked = 0;
  for (const doc of DOCS) {
    for (const m of readRepo(doc).matchAll(/\]\(([^)#\s]*)(#[^)\s]*)?\)/g)) {
      const [, file, anchor] = m;
      if (/^[a-z]+:/.test(file!)) continue;
      const target = file ? join(dirname(doc), file) : doc;
      checked += 1;
      assert.ok(existsSync(repoPath(target)), `${doc}: link to missing ${target}`);
      if (anchor && target.endsWith('.md')) {
        const headings = [...readRepo(target).matchAll(/^#+ (.+)$/gm)].map((h) => slug(h[1]!));
        assert.ok(headings.includes(anchor.slice(1)), `${doc}: no heading ${anchor} in ${target}`);
      }
    }
  }
  assert.ok(checked >= 10, `only ${checked} links`);
});

test('repository paths the deployment docs name exist', () => {
  for (const doc of DOCS) {
    for (const m of readRepo(doc).matchAll(/`((?:deploy\/|compose|Dockerfile|\.env\.example)[^`\s]*)`/g)) {
      const path = m[1]!.replace(/\/\*[^/]*$/, '');
      assert.ok(existsSync(repoPath(path)), `${doc}: ${m[1]} does not exist`);
    }
  }
});

test('every alert the docs name exists in the rules', () => {
  let named = 0;
  for (const doc of DOCS) {
    for (const m of readRepo(doc).matchAll(/`(Pilot[A-Z][A-Za-z]+)`/g)) {
      named += 1;
      assert.ok(alerts.has(m[1]!), `${doc}: ${m[1]} is not an alert of deploy/prometheus/rules`);
    }
  }
  assert.ok(named >= alerts.size, 'the docs name fewer alerts than there are');
});
