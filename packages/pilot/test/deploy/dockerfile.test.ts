// The Dockerfile, without Docker: its stages are replayed into a temporary directory (COPY from the
// repository, the runtime stage's production `npm ci` for real, the build stage's compiler for real),
// pilot is started from the result with the image's CMD and environment, and the HEALTHCHECK command
// is run against it: it succeeds while pilot runs and fails once it has stopped.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, posix } from 'node:path';
import { after, before, test } from 'node:test';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { CONFIG_VARIABLES } from '../../src/config.ts';
import { ADMIN_TOKEN, STRIPE_SECRET } from '../helpers.ts';
import { freePort, readRepo, repoPath } from './deploy-helpers.ts';
import { STARTUP_TIMEOUT_MS } from './pilot-process.ts';

interface Stage {
  name: string;
  image: string;
  instructions: Instruction[];
}

const dockerfile = DockerfileParser.parse(readRepo('Dockerfile'));
const args = new Map(
  dockerfile.getInitialARGs().flatMap((a) => a.getProperties().map((p) => [p.getName(), p.getValue() ?? ''] as const)),
);
const expandArgs = (s: string) => s.replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, a, b) => args.get(a ?? b) ?? '');

function stagesOf(): Stage[] {
  const stages: Stage[] = [];
  for (const ins of dockerfile.getInstructions()) {
    const kw = ins.getKeyword();
    if (kw === 'ARG' && stages.length === 0) continue;
    if (kw === 'FROM') {
      const [image, as, name] = ins.getArguments().map((a) => a.getValue());
      assert.equal(as?.toUpperCase(), 'AS', 'every stage is named');
      stages.push({ name: name!, image: expandArgs(image!), instructions: [] });
      continue;
    }
    assert.ok(stages.length > 0, `${kw} before the first FROM`);
    stages.at(-1)!.instructions.push(ins);
  }
  return stages;
}
const stages = stagesOf();

/** What the replay of a stage leaves: its root directory and the image configuration. */
interface Replayed {
  root: string;
  workdir: string;
  env: Record<string, string>;
  user: string | undefined;
  expose: string[];
  healthcheck: { flags: Record<string, string>; argv: string[] } | undefined;
  cmd: string[] | undefined;
}

let tmp: string;
const replayed = new Map<string, Replayed>();
const at = (r: { root: string }, p: string) => join(r.root, p);
/** PATH of replayed commands: this test's Node first (the image's Node is the same major). */
const PATH = `${dirname(process.execPath)}:/usr/bin:/bin`;

function sh(cmd: string, cwd: string, env: Record<string, string>) {
  // This machine's environment (npm's cache and registry settings), the stage's ENV, this test's Node.
  const r = spawnSync('sh', ['-c', cmd], { cwd, env: { ...process.env, ...env, PATH }, encoding: 'utf8', timeout: 240_000 });
  assert.equal(r.status, 0, `RUN ${cmd} failed:\n${r.stdout}\n${r.stderr}`);
}

function replay(stage: Stage): Replayed {
  const r: Replayed = {
    root: join(tmp, stage.name),
    workdir: '/',
    env: {},
    user: undefined,
    expose: [],
    healthcheck: undefined,
    cmd: undefined,
  };
  mkdirSync(r.root, { recursive: true });
  for (const ins of stage.instructions) {
    const kw = ins.getKeyword();
    const content = ins.getArgumentsContent() ?? '';
    const argv = ins.getArguments().map((a) => a.getValue());
    switch (kw) {
      case 'WORKDIR':
        r.workdir = posix.resolve(r.workdir, argv[0]!);
        mkdirSync(at(r, r.workdir), { recursive: true });
        break;
      case 'ENV':
        for (const p of (ins as unknown as { getProperties(): { getName(): string; getValue(): string | null }[] }).getProperties()) {
          r.env[p.getName()] = p.getValue() ?? '';
        }
        break;
      case 'COPY': {
        const from = (ins as unknown as { getFromFlag(): { getValue(): string | null } | null }).getFromFlag()?.getValue();
        const dest = posix.resolve(r.workdir, argv.at(-1)!);
        const intoDir = argv.at(-1)!.endsWith('/') || argv.length > 2;
        for (const src of argv.slice(0, -1)) {
          let source: string;
          if (from) {
            const other = replayed.get(from);
            assert.ok(other, `COPY --from=${from}: no such earlier stage`);
            source = at(other, src);
          } else {
            source = repoPath(src);
          }
          assert.ok(existsSync(source), `COPY ${from ? `--from=${from} ` : ''}${src}: not found`);
          const target = statSync(source).isDirectory() || !intoDir ? at(r, dest) : join(at(r, dest), basename(src));
          mkdirSync(statSync(source).isDirectory() ? target : dirname(target), { recursive: true });
          cpSync(source, target, { recursive: true });
        }
        break;
      }
      case 'RUN': {
        const cwd = at(r, r.workdir);
        if (/^npm ci\b/.test(content) && !content.includes('--omit=dev')) {
          // The build stage's full install: the workspace's own node_modules (already installed from the
          // same lockfile) stands in for it, so the replay stays offline and fast.
          symlinkSync(repoPath('node_modules'), join(cwd, 'node_modules'));
        } else if (/^npm ci\b/.test(content)) {
          // The production install, for real (npm's cache of this machine, preferred over the registry).
          sh(content, cwd, { ...r.env, npm_config_prefer_offline: 'true' });
        } else if (/^node node_modules\/typescript\/bin\/tsc -b /.test(content)) {
          sh(content, cwd, r.env);
        } else {
          const m = /^mkdir -p (\S+) && chown node:node (\S+)$/.exec(content);
          assert.ok(m && m[1] === m[2], `the replay does not know this RUN: ${content}`);
          mkdirSync(at(r, m[1]!), { recursive: true });
        }
        break;
      }
      case 'USER':
        r.user = argv[0];
        break;
      case 'EXPOSE':
        r.expose.push(...argv);
        break;
      case 'HEALTHCHECK': {
        const flags = Object.fromEntries(
          (ins as unknown as { getFlags(): { getName(): string; getValue(): string | null }[] })
            .getFlags()
            .map((f) => [f.getName(), f.getValue() ?? '']),
        );
        const m = /^CMD\s+(\[.*\])\s*$/s.exec(content);
        assert.ok(m, `HEALTHCHECK is not in exec form: ${content}`);
        r.healthcheck = { flags, argv: JSON.parse(m[1]!) as string[] };
        break;
      }
      case 'CMD':
        r.cmd = JSON.parse(content) as string[];
        break;
      case 'STOPSIGNAL':
      case 'ARG':
        break;
      default:
        assert.fail(`the replay does not know ${kw}`);
    }
  }
  return r;
}

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'pilot-image-'));
  for (const s of stages) replayed.set(s.name, replay(s));
});
after(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('two stages, both on the Node major the workspace pins; the runtime stage runs as a non-root user', () => {
  assert.deepEqual(
    stages.map((s) => s.name),
    ['build', 'runtime'],
  );
  const pinned = /(\d+)/.exec((JSON.parse(readRepo('package.json')) as { devDependencies: { node: string } }).devDependencies.node)![1];
  for (const s of stages) assert.match(s.image, new RegExp(`^node:${pinned}-`), s.name);
  const user = replayed.get('runtime')!.user;
  assert.ok(user && user !== 'root' && !/^0(:|$)/.test(user), `USER ${user}`);
});

test('the runtime stage holds production dependencies only, and none of golive', () => {
  const nm = join(at(replayed.get('runtime')!, replayed.get('runtime')!.workdir), 'node_modules');
  for (const dep of Object.keys((JSON.parse(readRepo('packages/pilot/package.json')) as { dependencies: object }).dependencies)) {
    assert.ok(existsSync(join(nm, dep, 'package.json')), `${dep} missing`);
  }
  const dev = [
    ...Object.keys((JSON.parse(readRepo('package.json')) as { devDependencies: object }).devDependencies),
    ...Object.keys((JSON.parse(readRepo('packages/pilot/package.json')) as { devDependencies: object }).devDependencies),
  ].filter((d) => d !== 'ajv' && d !== 'yaml' && !d.startsWith('@types/')); // ajv: fastify's own dependency
  for (const d of dev) assert.ok(!existsSync(join(nm, d)), `devDependency ${d} is in the image`);
  assert.ok(!existsSync(join(nm, 'golive')), 'golive is in the image');
  assert.ok(existsSync(join(nm, '..', 'packages/pilot/dist/server.js')), 'compiled server missing');
  assert.ok(!existsSync(join(nm, '..', 'packages/pilot/src')), 'TypeScript sources are in the image');
});

test('the image environment names only pilot variables, and EXPOSE is its PORT', () => {
  const r = replayed.get('runtime')!;
  for (const name of Object.keys(r.env)) {
    assert.ok(name === 'NODE_ENV' || CONFIG_VARIABLES.includes(name), `ENV ${name} is not a pilot variable`);
  }
  assert.deepEqual(r.expose, [r.env.PORT]);
});

test('the HEALTHCHECK probes liveness with the image\'s Node (no curl), within its timeout', () => {
  const hc = replayed.get('runtime')!.healthcheck;
  assert.ok(hc, 'no HEALTHCHECK');
  assert.equal(hc.argv[0], 'node');
  const text = hc.argv.join(' ');
  assert.match(text, /\/health\/live'/);
  assert.doesNotMatch(text, /curl|wget/);
  const inner = Number(/AbortSignal\.timeout\((\d+)\)/.exec(text)?.[1]);
  const outer = Number(/^(\d+)s$/.exec(hc.flags.timeout ?? '')?.[1]) * 1000;
  assert.ok(inner > 0 && inner < outer, `the request timeout (${inner} ms) must be below --timeout (${outer} ms)`);
});

test('pilot starts from the replayed image with its CMD, and the HEALTHCHECK passes, then fails once it stops', async () => {
  const r = replayed.get('runtime')!;
  const cwd = at(r, r.workdir);
  const port = await freePort();
  // The image's environment, plus what a production deployment must add; the data directory and
  // address are the replay's.
  const env = {
    ...r.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    PILOT_DATA_DIR: at(r, r.env.PILOT_DATA_DIR!),
    ADMIN_TOKEN,
    STRIPE_WEBHOOK_SECRET: STRIPE_SECRET,
    NOTIFY_MODE: 'mock',
    PATH,
  };
  assert.equal(r.env.APP_ENV, 'production');
  assert.equal(r.cmd?.[0], 'node');
  const child = spawn(process.execPath, r.cmd!.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    while (!out.includes('"msg":"listening"')) {
      assert.ok(child.exitCode === null, `pilot exited:\n${out}`);
      assert.ok(Date.now() < deadline, `pilot did not start:\n${out}`);
      await new Promise((res) => setTimeout(res, 100));
    }
    const hc = r.healthcheck!;
    const check = () =>
      spawnSync(process.execPath, hc.argv.slice(1), { cwd, env, encoding: 'utf8', timeout: 10_000 });
    const ok = check();
    assert.equal(ok.status, 0, `HEALTHCHECK failed against a running pilot: ${ok.stderr}`);
    child.kill('SIGTERM');
    await exited;
    const down = check();
    assert.equal(down.error, undefined, 'HEALTHCHECK hung');
    assert.notEqual(down.status, 0, 'HEALTHCHECK passed with pilot stopped');
  } finally {
    child.kill('SIGKILL');
  }
  // The replay ran the compiled server from the production install, not the workspace's.
  assert.ok(readFileSync(join(cwd, 'packages/pilot/dist/server.js'), 'utf8').includes('listening'));
});
