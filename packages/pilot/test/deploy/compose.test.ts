// compose.yaml (development) and compose.staging.yaml, without Docker: valid against the Compose
// specification's JSON Schema, and everything they name exists — paths, ports, probes, pilot's
// variables, the variables of .env.example — with no secret written inline. The staging database's
// init script runs against the real PostgreSQL, and pilot starts on the role it creates.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { Ajv } from 'ajv';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { parse as parseYaml } from 'yaml';
import { buildApp } from '../../src/app.ts';
import { CONFIG_VARIABLES, parseConfig, SECRET_VARIABLES } from '../../src/config.ts';
import { makeApp, PG_ADMIN_URL, requireService, testEnv, uniq } from '../helpers.ts';
import { readRepo, repoPath } from './deploy-helpers.ts';

type Service = {
  image?: string;
  build?: { context: string; dockerfile?: string };
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  stop_grace_period?: string;
};
type Compose = { name: string; services: Record<string, Service>; volumes?: Record<string, unknown> };

const FILES = ['compose.yaml', 'compose.staging.yaml'] as const;
const texts = Object.fromEntries(FILES.map((f) => [f, readRepo(f)])) as Record<(typeof FILES)[number], string>;
const docs = Object.fromEntries(FILES.map((f) => [f, parseYaml(texts[f]) as Compose])) as Record<
  (typeof FILES)[number],
  Compose
>;

/** The Compose specification's JSON Schema, as shipped by the dclint package. */
function composeValidator() {
  const require = createRequire(import.meta.url);
  const file = join(dirname(require.resolve('dclint/package.json')), 'schemas', 'compose.schema.json');
  const schema = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  assert.equal(schema.title, 'Compose Specification');
  // Its $schema is draft-07 under an address ajv does not map; ajv's default dialect is draft-07.
  delete schema.$schema;
  return new Ajv({ allErrors: true, strict: false }).compile(schema);
}

/** `NAME=value` lines of an env file. */
function envFile(path: string): Map<string, string> {
  return new Map(
    readRepo(path)
      .split('\n')
      .map((l) => /^([A-Z0-9_]+)=(.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1]!, m[2]!]),
  );
}
const composeEnv = envFile('.env.example');
const pilotEnv = envFile('packages/pilot/.env.example');

/** Every `${VAR...}` interpolation of a Compose text: the name and whether it has a default. */
function interpolations(text: string): { name: string; defaulted: boolean }[] {
  return [...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-?+])?[^}]*\}/g)].map((m) => ({
    name: m[1]!,
    defaulted: m[2] === ':-' || m[2] === '-',
  }));
}

const NON_PILOT_SECRETS = ['POSTGRES_PASSWORD', 'PILOT_DB_PASSWORD', 'GRAFANA_ADMIN_PASSWORD'];
const isSecretName = (k: string) =>
  (SECRET_VARIABLES as readonly string[]).includes(k) || NON_PILOT_SECRETS.includes(k) || /PASSWORD|SECRET|TOKEN/.test(k);

let app: FastifyInstance;
before(async () => {
  app = await makeApp();
});
after(async () => {
  await app?.close();
});

test('both files are valid against the Compose specification, and a broken one is not', () => {
  const validate = composeValidator();
  for (const f of FILES) assert.ok(validate(docs[f]), `${f}: ${JSON.stringify(validate.errors, null, 1)}`);
  const broken = structuredClone(docs['compose.staging.yaml']) as unknown as Record<string, Record<string, Record<string, unknown>>>;
  broken.services!.pilot!.healthcheck = { test: 5 };
  broken.services!.pilot!.restart_policy = 'always';
  assert.equal(validate(broken), false);
  assert.ok(validate.errors!.some((e) => e.instancePath === '/services/pilot/healthcheck/test'));
  assert.ok(validate.errors!.some((e) => e.params && (e.params as { additionalProperty?: string }).additionalProperty === 'restart_policy'));
});

test('staging has PostgreSQL, Redis, pilot, Prometheus and Grafana, each with a healthcheck', () => {
  const s = docs['compose.staging.yaml'].services;
  assert.deepEqual(Object.keys(s).sort(), ['grafana', 'pilot', 'postgres', 'prometheus', 'redis']);
  for (const f of FILES) {
    for (const [name, svc] of Object.entries(docs[f].services)) {
      assert.ok(svc.healthcheck?.test?.length, `${f}: ${name} has no healthcheck`);
      assert.doesNotMatch(svc.healthcheck.test.join(' '), /curl/, `${f}: ${name} healthcheck needs curl`);
    }
  }
  assert.equal(s.pilot!.depends_on?.postgres?.condition, 'service_healthy');
  assert.equal(s.pilot!.depends_on?.redis?.condition, 'service_healthy');
});

test('every variable the compose files use is in .env.example, and every one there is used', () => {
  const used = new Set(FILES.flatMap((f) => interpolations(texts[f]).map((i) => i.name)));
  for (const v of used) assert.ok(composeEnv.has(v), `${v} is used by a compose file but not in .env.example`);
  for (const v of composeEnv.keys()) assert.ok(used.has(v), `${v} is in .env.example but no compose file uses it`);
});

test('pilot\'s environment names only variables pilot reads (and packages/pilot/.env.example lists)', () => {
  for (const f of FILES) {
    const env = docs[f].services.pilot!.environment ?? {};
    for (const k of Object.keys(env)) {
      assert.ok(CONFIG_VARIABLES.includes(k), `${f}: ${k} is not a pilot variable`);
      assert.ok(pilotEnv.has(k), `${f}: ${k} is missing from packages/pilot/.env.example`);
    }
    // Pass-through variables keep pilot's name, so .env reads like pilot's own configuration.
    for (const [k, v] of Object.entries(env)) {
      const m = /^\$\{([A-Z0-9_]+)[^}]*\}$/.exec(String(v));
      if (m && CONFIG_VARIABLES.includes(m[1]!)) assert.equal(m[1], k, `${f}: ${k} reads \${${m[1]}}`);
    }
  }
});

test('no secret is written in a compose file or in .env.example', () => {
  for (const f of FILES) {
    for (const [name, svc] of Object.entries(docs[f].services)) {
      for (const [k, raw] of Object.entries(svc.environment ?? {})) {
        const v = String(raw);
        if (!isSecretName(k) && !/^(DATABASE_URL|REDIS_URL)$/.test(k)) continue;
        if (k === 'REDIS_URL' || k === 'DATABASE_URL') {
          // A URL may carry a password: only through a variable.
          const bare = v.replace(/\$\{[^}]*\}/g, '');
          assert.doesNotMatch(bare, /:\/\/[^/@]*:[^/@]+@/, `${f}: ${name}.${k} has a password inline`);
          continue;
        }
        const parts = interpolations(v);
        assert.ok(parts.length === 1 && v.startsWith('${') && v.endsWith('}'), `${f}: ${name}.${k} is not a variable`);
        // A default would be a secret written inline, except an empty one (unset: feature off).
        if (parts[0]!.defaulted) assert.match(v, /^\$\{[A-Z0-9_]+:-\}$/, `${f}: ${name}.${k} has a default`);
      }
    }
  }
  for (const [k, v] of composeEnv) if (isSecretName(k) || k.endsWith('_API_KEY')) assert.equal(v, '', `.env.example: ${k} has a value`);
});

test('staging requires its secrets (no default), development needs none', () => {
  const staging = interpolations(texts['compose.staging.yaml']);
  for (const k of ['POSTGRES_PASSWORD', 'PILOT_DB_PASSWORD', 'GRAFANA_ADMIN_PASSWORD', 'ADMIN_TOKEN', 'OPS_TOKEN', 'STRIPE_WEBHOOK_SECRET']) {
    const uses = staging.filter((i) => i.name === k);
    assert.ok(uses.length > 0 && uses.every((i) => !i.defaulted), `${k} is not required in staging`);
    assert.match(texts['compose.staging.yaml'], new RegExp(`\\$\\{${k}:\\?`), k);
  }
  for (const i of interpolations(texts['compose.yaml'])) assert.ok(i.defaulted, `development requires ${i.name}`);
});

test('pilot\'s configuration in each file is one pilot accepts', () => {
  for (const f of FILES) {
    const env: Record<string, string> = {};
    for (const [k, raw] of Object.entries(docs[f].services.pilot!.environment ?? {})) {
      // Fill each variable as an operator would: the default if any, else a valid example value.
      env[k] = String(raw).replace(/\$\{([A-Z0-9_]+)(?::?[-?])?([^}]*)\}/g, (_m, name: string, rest: string) => {
        const example: Record<string, string> = {
          ADMIN_TOKEN: 'a'.repeat(32),
          OPS_TOKEN: 'o'.repeat(32),
          STRIPE_WEBHOOK_SECRET: 'whsec_example0123456789',
          PILOT_DB_PASSWORD: 'example',
        };
        return example[name] ?? (String(raw).includes(`${name}:?`) ? '' : rest);
      });
    }
    const r = parseConfig(env);
    assert.ok(r.ok, `${f}: ${JSON.stringify(r.ok ? [] : r.issues)}`);
  }
});

test('ports: pilot listens where the compose files, the Dockerfile and Prometheus expect it', () => {
  const dockerfile = readRepo('Dockerfile');
  const exposed = /^EXPOSE (\d+)$/m.exec(dockerfile)?.[1];
  const scrape = parseYaml(readRepo('deploy/prometheus/prometheus.yml')) as {
    scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
  };
  const target = scrape.scrape_configs.find((j) => j.job_name === 'pilot')!.static_configs[0]!.targets[0]!;
  for (const f of FILES) {
    const p = docs[f].services.pilot!;
    const port = p.environment!.PORT!;
    assert.equal(port, exposed, `${f}: PORT ${port}, EXPOSE ${exposed}`);
    assert.ok(p.ports!.every((m) => m.endsWith(`:${port}`)), `${f}: ${p.ports}`);
    assert.match(p.healthcheck!.test.join(' '), new RegExp(`127\\.0\\.0\\.1:${port}/`), f);
  }
  assert.equal(target, `pilot:${docs['compose.staging.yaml'].services.pilot!.environment!.PORT}`);
});

test('every probe and path a compose file or the Prometheus configuration names answers 200 on pilot', async () => {
  const paths = new Set<string>();
  for (const f of FILES) {
    for (const m of texts[f].matchAll(/http:\/\/127\.0\.0\.1:8000(\/[A-Za-z0-9/_-]*)/g)) paths.add(m[1]!);
  }
  for (const m of readRepo('Dockerfile').matchAll(/'(\/health\/[a-z]+)'/g)) paths.add(m[1]!);
  const scrape = parseYaml(readRepo('deploy/prometheus/prometheus.yml')) as { scrape_configs: { metrics_path: string }[] };
  paths.add(scrape.scrape_configs[0]!.metrics_path);
  assert.deepEqual([...paths].sort(), ['/health/live', '/health/ready', '/metrics']);
  for (const p of paths) assert.equal((await app.inject({ method: 'GET', url: p })).statusCode, 200, p);
  assert.equal((await app.inject({ method: 'GET', url: '/health/nope' })).statusCode, 404);
});

test('every host path a compose file names exists, and the mounts are where the configurations look', () => {
  for (const f of FILES) {
    for (const [name, svc] of Object.entries(docs[f].services)) {
      if (svc.build) {
        assert.ok(existsSync(repoPath(svc.build.context)), `${f}: ${name} build context`);
        assert.ok(existsSync(repoPath(join(svc.build.context, svc.build.dockerfile ?? 'Dockerfile'))), `${f}: ${name} Dockerfile`);
      }
      for (const v of svc.volumes ?? []) {
        const [source] = v.split(':');
        if (source!.startsWith('.')) assert.ok(existsSync(repoPath(source!)), `${f}: ${name} mounts missing ${source}`);
        else assert.ok(docs[f].volumes && source! in docs[f].volumes, `${f}: ${name} uses undeclared volume ${source}`);
      }
    }
  }
  const s = docs['compose.staging.yaml'].services;
  const mount = (svc: Service, target: string) => svc.volumes!.find((v) => v.split(':')[1] === target)?.split(':')[0];
  assert.equal(mount(s.prometheus!, '/etc/prometheus'), './deploy/prometheus');
  assert.ok(s.prometheus!.volumes && (s.prometheus as { command?: string[] }).command?.includes('--config.file=/etc/prometheus/prometheus.yml'));
  const provider = parseYaml(readRepo('deploy/grafana/provisioning/dashboards/pilot.yml')) as {
    providers: { options: { path: string } }[];
  };
  assert.equal(mount(s.grafana!, provider.providers[0]!.options.path), './deploy/grafana/dashboards');
  assert.equal(mount(s.grafana!, '/etc/grafana/provisioning'), './deploy/grafana/provisioning');
  const datasource = parseYaml(readRepo('deploy/grafana/provisioning/datasources/prometheus.yml')) as {
    datasources: { url: string }[];
  };
  assert.equal(datasource.datasources[0]!.url, 'http://prometheus:9090');
  // The image's data directory is the development volume's mount point.
  const dataDir = /PILOT_DATA_DIR=(\S+)/.exec(readRepo('Dockerfile'))?.[1];
  assert.equal(mount(docs['compose.yaml'].services.pilot!, dataDir!), 'pilot-data');
  // Stopping gives pilot more than its shutdown grace period (default SHUTDOWN_GRACE_MS).
  const grace = Number(pilotEnv.get('SHUTDOWN_GRACE_MS')) / 1000;
  for (const f of FILES) assert.ok(Number.parseInt(docs[f].services.pilot!.stop_grace_period!, 10) > grace, f);
});

test('the staging database init script creates a role pilot accepts (real PostgreSQL)', async (t) => {
  if (!(await requireService(t, 'PostgreSQL', 5432))) return;
  const name = `pilot_init_${uniq()}`;
  const password = randomBytes(12).toString('hex');
  const admin = new URL(PG_ADMIN_URL);
  const r = spawnSync('sh', [repoPath('deploy/postgres/initdb/10-pilot.sh')], {
    env: {
      PATH: process.env.PATH,
      PGHOST: admin.hostname,
      PGPORT: admin.port || '5432',
      POSTGRES_USER: decodeURIComponent(admin.username) || 'postgres',
      POSTGRES_DB: admin.pathname.slice(1),
      PILOT_DB_PASSWORD: password,
      PILOT_DB_USER: name,
      PILOT_DB_NAME: name,
    },
    encoding: 'utf8',
    timeout: 30_000,
  });
  const cleanup = async () => {
    const c = new pg.Client({ connectionString: PG_ADMIN_URL });
    await c.connect();
    try {
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.query(`DROP ROLE IF EXISTS "${name}"`);
    } finally {
      await c.end();
    }
  };
  try {
    assert.equal(r.status, 0, r.stderr);
    const url = new URL(PG_ADMIN_URL);
    url.username = name;
    url.password = password;
    url.pathname = `/${name}`;
    const started = await buildApp({ config: (() => {
      const c = parseConfig(testEnv({ DATABASE_URL: url.toString(), PILOT_DATA_DIR: undefined }));
      assert.ok(c.ok, JSON.stringify(c.ok || c.issues));
      return c.config;
    })(), logger: false });
    try {
      assert.equal((await started.inject({ method: 'GET', url: '/health/ready' })).statusCode, 200);
    } finally {
      await started.close();
    }
    // Without the password the script refuses to run.
    const refused = spawnSync('sh', [repoPath('deploy/postgres/initdb/10-pilot.sh')], {
      env: { PATH: process.env.PATH },
      encoding: 'utf8',
    });
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /PILOT_DB_PASSWORD/);
  } finally {
    await cleanup();
  }
});
