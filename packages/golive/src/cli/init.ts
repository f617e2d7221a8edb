/** `golive init`: writes a commented starter config; never overwrites an existing file. */
import { writeFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { UsageError } from '../core/errors.ts';
import { parse } from './args.ts';
import type { CliCommand } from './io.ts';

/**
 * The starter golive.config.mts. `.mts` is an ES module whatever the project's package type, and the import is
 * type-only (Node erases it), so the file loads even where golive is not a dependency of the project.
 */
export const STARTER_TS = `// golive.config.mts: the go-live gate of this service.
// Run it with \`npx golive run\`. Exit codes: 0 GO, 1 NO-GO, 2 usage or config error, 3 INCONCLUSIVE.
// Every field: \`npx golive schema\` and docs/configuration.md; every check kind: docs/checks.md.
// The import is for types only (editors check the config with it); nothing is loaded from golive at run time.
import type { GoliveConfig } from 'golive';

export default {
  // Start from a preset (recommended, contracts, stage3, stage4); entries below add to it or override it by id.
  // preset: 'recommended',

  target: {
    // The service to check. --url, GOLIVE_BASE_URL or PROD_URL override it.
    baseUrl: 'http://127.0.0.1:8000',
    // Sent with every request. Values are redacted from every output and artifact.
    // headers: { authorization: \`Bearer \${process.env.API_TOKEN}\` },
    // Timeout of one request (S4_TIMEOUT in seconds or --timeout override it).
    timeoutMs: 5000,
    // Let golive start the service, wait for readyUrl to answer 2xx, and stop it at the end:
    // start: { command: 'npm start', readyUrl: '/health', timeoutMs: 30_000 },
  },

  checks: {
    // level: 'error' gates the verdict (default), 'warn' is reported only, 'off' is not run.
    health: { kind: 'health' },
    // 5 pings 300 ms apart, every one 2xx, p95 under 1000 ms (nearest rank).
    canary: { kind: 'canary', dependsOn: ['health'] },
    // A Content-Security-Policy on /; report-only alone is a warning.
    'security-headers': { kind: 'security-headers' },
    // Stripe / email provider settings; enforced when EXPECT_LIVE=1 unless ALLOW_PROVIDER_MOCK=1.
    'provider-config': { kind: 'provider-config', level: 'warn' },
  },

  // Stages run in order. fail-fast stops at the first error-level failure; continue runs on.
  stages: [
    { name: 'smoke', checks: ['health'], failPolicy: 'fail-fast' },
    { name: 'go-live', checks: ['canary', 'security-headers', 'provider-config'], failPolicy: 'continue' },
  ],

  // Extra environment variables whose values must never appear in output (secret-looking ones are automatic).
  // secrets: ['MY_PARTNER_TOKEN'],
} satisfies GoliveConfig;
`;

/** The starter golive.config.yaml. */
export const STARTER_YAML = `# golive.config.yaml: the go-live gate of this service.
# Run it with \`npx golive run\`. Exit codes: 0 GO, 1 NO-GO, 2 usage or config error, 3 INCONCLUSIVE.
# yaml-language-server: $schema=./node_modules/golive/schema/config.schema.json

# preset: recommended          # recommended, stage3 or stage4; entries below add to it or override it by id
target:
  baseUrl: http://127.0.0.1:8000   # --url, GOLIVE_BASE_URL or PROD_URL override it
  timeoutMs: 5000
  # headers: { authorization: "Bearer ..." }   # values are redacted everywhere
  # start: { command: "npm start", readyUrl: /health, timeoutMs: 30000 }

checks:
  health: { kind: health }
  canary: { kind: canary, dependsOn: [health] }          # 5 pings, p95 < 1000 ms
  security-headers: { kind: security-headers }
  provider-config: { kind: provider-config, level: warn } # enforced with EXPECT_LIVE=1

stages:
  - { name: smoke, checks: [health], failPolicy: fail-fast }
  - { name: go-live, checks: [canary, security-headers, provider-config], failPolicy: continue }
`;

/** The init command. */
export const initCommand: CliCommand = {
  name: 'init',
  summary: 'Write a commented starter golive.config.mts (never overwrites)',
  help: `Usage: golive init [--yaml] [--file <path>]

Writes a commented starter config in the current directory: golive.config.mts (TypeScript as an ES module,
so it loads in CommonJS and ESM projects alike, with or without golive installed), or golive.config.yaml
with --yaml. An existing file is never overwritten.`,
  async run(argv, io) {
    const { values, positionals } = parse(
      'init',
      argv,
      { yaml: { type: 'boolean' }, file: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      false,
    );
    void positionals;
    if (values.help) {
      io.stdout.write(`${initCommand.help}\n`);
      return 0;
    }
    const name = values.file ?? (values.yaml ? 'golive.config.yaml' : 'golive.config.mts');
    const path = resolve(io.cwd, name);
    const yaml = values.yaml === true || /\.ya?ml$/i.test(name);
    try {
      await writeFile(path, yaml ? STARTER_YAML : STARTER_TS, { flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`${relative(io.cwd, path) || name} already exists; not overwriting it`);
      throw new UsageError(`cannot write ${name}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    io.stdout.write(`wrote ${relative(io.cwd, path) || name}; run it with: npx golive run\n`);
    return 0;
  },
};
