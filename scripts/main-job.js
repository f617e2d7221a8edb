#!/usr/bin/env node
// The main job (`npm start`): gate the bundled pilot on its embedded database.
// Fresh secrets for this run (unless given in the environment) are put in the environment that golive and the pilot it starts share;
// golive learns them as secrets (by name) and redacts them from every output and artifact.
// Extra arguments go to `golive run` (e.g. --out dir, --reporter json).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const token = (prefix = '') => `${prefix}${randomBytes(24).toString('base64url')}`;
// A fresh embedded database (PGlite on disk) per run, removed afterwards; PILOT_DATA_DIR keeps one instead.
const dataDir = process.env.PILOT_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'pilot-data-'));

const env = {
  ...process.env,
  PILOT_DATA_DIR: dataDir,
  PILOT_BOOTSTRAP_TENANT: process.env.PILOT_BOOTSTRAP_TENANT ?? 'golive-demo',
  PILOT_BOOTSTRAP_API_KEY: process.env.PILOT_BOOTSTRAP_API_KEY ?? token('pk_demo_'),
  PILOT_BOOTSTRAP_SIGNING_SECRET: process.env.PILOT_BOOTSTRAP_SIGNING_SECRET ?? token(),
  STRIPE_WEBHOOK_SECRET: process.env.STRIPE_WEBHOOK_SECRET ?? token('whsec_'),
  ADMIN_TOKEN: process.env.ADMIN_TOKEN ?? token(),
  // pilot's notify mode and sender, also read by golive's provider-config check.
  NOTIFY_MODE: process.env.NOTIFY_MODE ?? 'mock',
  EMAIL_FROM: process.env.EMAIL_FROM ?? 'noreply@pilot.example',
};

const r = spawnSync(
  process.execPath,
  [join(root, 'packages', 'golive', 'bin', 'golive.js'), 'run', '--config', 'examples/pilot.golive.config.ts', ...process.argv.slice(2)],
  { cwd: root, env, stdio: 'inherit' },
);
if (!process.env.PILOT_DATA_DIR) rmSync(dataDir, { recursive: true, force: true });
process.exit(r.status ?? 70);
