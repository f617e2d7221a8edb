/**
 * Loading config files: `golive.config.ts` (default export, loaded with a plain dynamic import: Node strips
 * the types), `.js`/`.mjs`, `.yaml`/`.yml` and `.json`. Loading only reads and parses; validation is
 * `resolveConfig`'s job so every layer (preset, file, environment, flags) is validated together.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../core/errors.ts';
import { excerpt } from '../core/redact.ts';

/** File names looked for, in order, when no config is named. */
export const CONFIG_FILE_NAMES = [
  'golive.config.ts',
  'golive.config.mts',
  'golive.config.js',
  'golive.config.mjs',
  'golive.config.yaml',
  'golive.config.yml',
  'golive.config.json',
] as const;

/** Finds the default config file in a directory, if any. */
export function findConfigFile(dir: string): string | undefined {
  for (const name of CONFIG_FILE_NAMES) {
    const p = resolve(dir, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/**
 * The reason of a parse error without the config text it quotes. YAML errors append the offending line (a code
 * frame) and JSON errors quote the input; a config line may hold a secret that exists nowhere else (so no
 * redactor knows it), and the line and column are enough to find it.
 */
export function configErrorReason(cause: unknown): string {
  const message = cause instanceof Error ? cause.message : String(cause);
  const firstLine = (message.split('\n')[0] ?? '').replace(/:\s*$/, '');
  // JSON.parse: `Unexpected token 'x', "{"a": x}" is not valid JSON` quotes the text between double quotes.
  return firstLine.replace(/, ".*" is not valid JSON/, ' (input not shown)').replace(/"(?:[^"\\]|\\.){12,}"/g, '"…"');
}

/** How long a code config may take to load (its import and an exported function) by default. */
export const DEFAULT_CONFIG_LOAD_TIMEOUT_MS = 10_000;

/** Marks a load that did not finish in time. */
class LoadTimeout extends Error {}

/**
 * Waits for a config module's promise, at most `timeoutMs`. The timer also keeps the event loop alive: without
 * it, a module whose top-level await never settles ends the process with Node's exit 13 and a warning.
 */
async function within<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LoadTimeout()), timeoutMs);
  });
  promise.catch(() => undefined);
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

function timeoutError(path: string, timeoutMs: number): ConfigError {
  return new ConfigError(
    `config ${path} did not finish loading within ${timeoutMs / 1000} s (a top-level await or an exported function that never settles?); GOLIVE_CONFIG_TIMEOUT_MS raises the limit`,
    [],
    'GOLIVE_ERR_CONFIG_LOAD',
  );
}

function loadError(path: string, what: string, cause: unknown): ConfigError {
  const reason = excerpt(configErrorReason(cause), 300);
  return new ConfigError(`cannot load config ${path}: ${what}: ${reason}`, [], 'GOLIVE_ERR_CONFIG_LOAD', { cause });
}

/** Reads and parses a config file into an unvalidated object; a code config gets `timeoutMs` to load. */
export async function loadConfigFile(path: string, cwd = process.cwd(), timeoutMs = DEFAULT_CONFIG_LOAD_TIMEOUT_MS): Promise<unknown> {
  const abs = resolve(cwd, path);
  if (!existsSync(abs)) {
    throw new ConfigError(`config file not found: ${path}`, [], 'GOLIVE_ERR_CONFIG_NOT_FOUND');
  }
  const ext = extname(abs).toLowerCase();
  if (ext === '.ts' || ext === '.mts' || ext === '.js' || ext === '.mjs') {
    let mod: { default?: unknown; config?: unknown };
    try {
      mod = (await within(import(pathToFileURL(abs).href), timeoutMs)) as { default?: unknown; config?: unknown };
    } catch (err) {
      if (err instanceof LoadTimeout) throw timeoutError(path, timeoutMs);
      if ((ext === '.ts' || ext === '.js') && /Cannot use import statement outside a module|Unexpected token 'export'/.test(String((err as Error)?.message))) {
        // Node reads .ts and .js as CommonJS unless the nearest package.json says "type": "module".
        throw new ConfigError(
          `cannot load config ${path}: it is an ES module in a CommonJS package; rename it golive.config.${ext === '.ts' ? 'mts' : 'mjs'} (always an ES module) or set "type": "module" in package.json`,
          [],
          'GOLIVE_ERR_CONFIG_LOAD',
          { cause: err },
        );
      }
      if ((err as NodeJS.ErrnoException)?.code === 'ERR_MODULE_NOT_FOUND' && /Cannot find package 'golive'/.test(String((err as Error).message))) {
        throw new ConfigError(
          `cannot load config ${path}: it imports 'golive', which this project does not have; install it (npm install --save-dev golive) or import only types (import type { GoliveConfig } from 'golive'), as \`golive init\` writes`,
          [],
          'GOLIVE_ERR_CONFIG_LOAD',
          { cause: err },
        );
      }
      throw loadError(path, 'import failed', err);
    }
    let value = mod.default ?? mod.config;
    // A config may export a (possibly async) function of nothing, like other tools allow.
    if (typeof value === 'function') {
      try {
        value = await within(Promise.resolve().then(() => (value as () => unknown)()), timeoutMs);
      } catch (err) {
        if (err instanceof LoadTimeout) throw timeoutError(path, timeoutMs);
        throw loadError(path, 'the exported function threw', err);
      }
    }
    if (value instanceof Promise) {
      try {
        value = await within(value, timeoutMs);
      } catch (err) {
        if (err instanceof LoadTimeout) throw timeoutError(path, timeoutMs);
        throw loadError(path, 'the exported promise rejected', err);
      }
    }
    if (value === undefined) {
      throw new ConfigError(`config ${path} has no default export (export default defineConfig({...}))`, [], 'GOLIVE_ERR_CONFIG_LOAD');
    }
    return value;
  }
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (err) {
    throw loadError(path, 'read failed', err);
  }
  if (ext === '.yaml' || ext === '.yml') {
    try {
      return parseYaml(text) ?? {};
    } catch (err) {
      throw loadError(path, 'invalid YAML', err);
    }
  }
  if (ext === '.json') {
    try {
      return JSON.parse(text);
    } catch (err) {
      throw loadError(path, 'invalid JSON', err);
    }
  }
  throw new ConfigError(`config ${path}: unsupported extension "${ext}" (use .ts, .js, .yaml, .yml or .json)`, [], 'GOLIVE_ERR_CONFIG_LOAD');
}
