#!/usr/bin/env node
// Entry of the root npm scripts. Runs on any Node >= 18 (the machine's own node may be older than the project's):
// installs dependencies when they are missing or stale (this also installs the pinned Node 24 from the npm
// registry, as the `node` devDependency), builds, then runs the task on the pinned Node.
//   node scripts/bootstrap.js start [args]   the main job: gate the bundled pilot on its embedded database
//   node scripts/bootstrap.js test [filters] build, lint, all tests
//   node scripts/bootstrap.js golive [args]  the golive CLI
//   node scripts/bootstrap.js bench [names]  benchmarks under bench/ (print figures)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const bin = join(root, 'node_modules', '.bin');
const pinnedNode = join(bin, 'node');
const stamp = join(root, 'node_modules', '.golive-install-stamp');

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts, env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, ...opts.env } });
  if (r.error) {
    console.error(`cannot run ${cmd}: ${r.error.message}`);
    return 1;
  }
  return r.status ?? 1;
}

function lockHash() {
  const lock = join(root, 'package-lock.json');
  return createHash('sha256').update(existsSync(lock) ? readFileSync(lock) : readFileSync(join(root, 'package.json'))).digest('hex');
}

function ensureInstalled() {
  const want = lockHash();
  const have = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : '';
  if (existsSync(pinnedNode) && have === want) return;
  // `npm install` with the committed lock installs the locked versions. Not `npm ci`: npm 11 leaves other
  // platforms' optional packages (biome's native binaries) out of the lock and then refuses it in `npm ci`.
  console.error('golive: installing dependencies (npm install, from package-lock.json) ...');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const code = run(npm, ['install', '--no-audit', '--no-fund']);
  if (code !== 0) process.exit(code);
  writeFileSync(stamp, `${want}\n`);
}

const [task = 'test', ...args] = process.argv.slice(2);
// `npm run golive -- check URL` may pass the separator through.
const rest = args[0] === '--' ? args.slice(1) : args;
ensureInstalled();
const node = existsSync(pinnedNode) ? pinnedNode : process.execPath;

function build() {
  const code = run(node, [join(bin, 'tsc'), '-b', 'packages/golive', 'packages/pilot']);
  if (code !== 0) process.exit(code);
}

switch (task) {
  case 'test': {
    build();
    // Type-check what the build does not compile: tests, benchmarks, examples, scripts.
    const types = run(node, [join(bin, 'tsc'), '-p', 'tsconfig.json']);
    if (types !== 0) process.exit(types);
    const lint = run(node, [join(root, 'node_modules', '@biomejs', 'biome', 'bin', 'biome'), 'check', '.']);
    if (lint !== 0) process.exit(lint);
    process.exit(run(node, [join(root, 'scripts', 'test.js'), ...rest]));
    break;
  }
  case 'start':
    build();
    process.exit(run(node, [join(root, 'scripts', 'main-job.js'), ...rest]));
    break;
  case 'golive':
    build();
    process.exit(run(node, [join(root, 'packages', 'golive', 'bin', 'golive.js'), ...rest]));
    break;
  case 'bench': {
    // Benchmarks print figures; they are not tests. `npm run bench -- load-compare` runs bench/load-compare.ts.
    build();
    const names = rest.length > 0 ? rest : ['all'];
    process.exit(run(node, [join(root, 'bench', 'run.js'), ...names]));
    break;
  }
  default:
    console.error(`unknown task ${task}: use start, test, golive or bench`);
    process.exit(2);
}
