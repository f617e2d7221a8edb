// Regenerates the README's screenshots of the HTML report (docs/images/report-*.png): runs the main job (the gate
// against the bundled pilot) into a temporary directory, opens its report.html in Debian's chromium
// (playwright-core) and captures the top of the page and the load check's plots.
// Run: ./node_modules/.bin/node scripts/report-screenshots.ts   (needs /usr/bin/chromium, or GOLIVE_CHROMIUM)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const root = new URL('..', import.meta.url).pathname;
const executablePath = process.env.GOLIVE_CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(executablePath)) {
  console.error(`${executablePath} is missing: apt-get install chromium`);
  process.exit(2);
}
const out = mkdtempSync(join(tmpdir(), 'golive-screenshots-'));
const run = spawnSync(process.execPath, [join(root, 'scripts/main-job.js'), '--out', out, '--quiet'], { cwd: root, stdio: 'inherit' });
if (run.status !== 0) {
  console.error(`the main job ended with exit ${run.status}: no screenshot taken`);
  process.exit(1);
}
const browser = await chromium.launch({ executablePath });
try {
  const page = await browser.newPage({ viewport: { width: 1000, height: 760 }, colorScheme: 'light' });
  await page.goto(`file://${join(out, 'report.html')}`);
  await page.screenshot({ path: join(root, 'docs/images/report-top.png') });
  const load = page.locator('section.check[data-kind="load"]').first();
  await load.screenshot({ path: join(root, 'docs/images/report-load.png') });
  console.log('wrote docs/images/report-top.png, docs/images/report-load.png');
} finally {
  await browser.close();
  rmSync(out, { recursive: true, force: true });
}
