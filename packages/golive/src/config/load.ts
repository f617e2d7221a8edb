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

function loadError(path: string, what: string, cause: unknown): ConfigError {
  const reason = excerpt(configErrorReason(cause), 300);
  return new ConfigError(`cannot load config ${path}: ${what}: ${reason}`, [], 'GOLIVE_ERR_CONFIG_LOAD', { cause });
}

/** Reads and parses a config file into an unvalidated object. */
export async function loadConfigFile(path: string, cwd = process.cwd()): Promise<unknown> {
  const abs = resolve(cwd, path);
  if (!existsSync(abs)) {
    throw new ConfigError(`config file not found: ${path}`, [], 'GOLIVE_ERR_CONFIG_NOT_FOUND');
  }
  const ext = extname(abs).toLowerCase();
  if (ext === '.ts' || ext === '.mts' || ext === '.js' || ext === '.mjs') {
    let mod: { default?: unknown; config?: unknown };
    try {
      mod = (await import(pathToFileURL(abs).href)) as { default?: unknown; config?: unknown };
    } catch (err) {
      throw loadError(path, 'import failed', err);
    }
    let value = mod.default ?? mod.config;
    // A config may export a (possibly async) function of nothing, like other tools allow.
    if (typeof value === 'function') {
      try {
        value = await (value as () => unknown)();
      } catch (err) {
        throw loadError(path, 'the exported function threw', err);
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
