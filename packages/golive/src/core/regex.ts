/**
 * Regular expressions from config, matched against what a target sends. JavaScript's engine backtracks: `(a+)+$`
 * against 50 000 `a`s runs for minutes on the main thread, where no timeout or signal can stop it. So patterns
 * from config are compiled by RE2JS (a pure-JavaScript port of RE2, installed from npm like any package), which
 * matches in time linear in the text: a body under golive's byte cap is matched in bounded time (0.1 to 0.2 s per
 * MiB in the worst case, `bench/regex-match.ts`; the 1 MiB default cap of `http` bounds a match to well under the
 * check timeout), and small bodies cost 1 to 3 µs per match once a pattern is compiled (about 50 µs, cached), so a
 * canary's many matches stay cheap. Features that need backtracking (backreferences, lookaround) are refused at
 * config load, where the message names the field.
 *
 * No global V8 flag is set: the library leaves the process as it found it.
 */
import { createRequire } from 'node:module';
import type { RE2JS as RE2JSType } from 're2js';

/** Flags golive's options use. */
export interface PatternFlags {
  ignoreCase?: boolean;
  /** `^` and `$` match at line breaks. */
  multiline?: boolean;
}

/** A compiled pattern: tests text in linear time. */
export interface SafePattern {
  readonly source: string;
  test(text: string): boolean;
}

const require = createRequire(import.meta.url);
let engine: typeof RE2JSType | undefined;
/** RE2JS is loaded on first use: commands that never match a pattern (`golive load`) do not pay for it. */
function re2(): typeof RE2JSType {
  engine ??= (require('re2js') as { RE2JS: typeof RE2JSType }).RE2JS;
  return engine;
}

const cache = new Map<string, SafePattern>();
/** Bound on cached patterns: config declares a handful; the cap only keeps a long-lived library user bounded. */
const CACHE_MAX = 512;

/**
 * Compiles a pattern for linear-time matching. Throws a plain Error naming the problem when the pattern is not a
 * valid regular expression or uses a feature that cannot run in linear time; config validation reports that
 * through {@link regexProblem} first.
 */
export function compilePattern(source: string, flags: PatternFlags = {}): SafePattern {
  const key = `${flags.ignoreCase ? 'i' : ''}${flags.multiline ? 'm' : ''}/${source}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const RE2JS = re2();
  const bits = (flags.ignoreCase ? RE2JS.CASE_INSENSITIVE : 0) | (flags.multiline ? RE2JS.MULTILINE : 0);
  const compiled = RE2JS.compile(source, bits);
  const pattern: SafePattern = { source, test: (text) => compiled.matcher(text).find() };
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(key, pattern);
  return pattern;
}

/** Tests a config pattern against untrusted text in linear time. */
export function testPattern(source: string, text: string, flags: PatternFlags = {}): boolean {
  return compilePattern(source, flags).test(text);
}

/**
 * Why a pattern cannot be used, or undefined when it can. A pattern JavaScript rejects is invalid; one that only
 * a backtracking engine can run (a backreference such as `(a+)\1`, a lookahead or lookbehind) is refused: its
 * matching time against a hostile body has no bound.
 */
export function regexProblem(source: string): string | undefined {
  try {
    new RegExp(source);
  } catch (e) {
    return `not a valid regular expression (${(e as Error).message.replace(/^Invalid regular expression: /, '')})`;
  }
  try {
    compilePattern(source);
    return undefined;
  } catch (e) {
    const detail = (e as Error).message.replace(/^error parsing regexp: /, '');
    return `regular expression cannot be matched in linear time (${detail}): backreferences and lookaround are not supported, because a hostile body could make matching run without bound`;
  }
}
