/** Browser tests: Debian's chromium through playwright-core, and where their screenshots go. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';

/** The browser binary (Debian's package; GOLIVE_CHROMIUM overrides). */
export const CHROMIUM = process.env.GOLIVE_CHROMIUM ?? '/usr/bin/chromium';

/** Directory of screenshots kept as test artifacts (GOLIVE_TEST_ARTIFACTS, default test-artifacts/ at the root). */
export const ARTIFACTS = process.env.GOLIVE_TEST_ARTIFACTS ?? join(new URL('../../../../', import.meta.url).pathname, 'test-artifacts');

/** Launches chromium, failing (never skipping) when it is missing: .ci/run installs it. Creates ARTIFACTS. */
export async function launchBrowser(): Promise<Browser> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`);
  await mkdir(ARTIFACTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM });
}
