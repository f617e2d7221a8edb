/**
 * A parser for the two metrics exposition formats Prometheus scrapes: the Prometheus text format 0.0.4 and
 * OpenMetrics 1.0. It is pure (a string in, a description out), walks the page once byte by byte with no
 * regular expression, and stops at the first syntax error, which it reports with its line.
 *
 * Three layers, kept apart because each has its own oracle:
 * - syntax (`parseMetricsPage`): for the text format, a port of the state machine of Prometheus' `expfmt`
 *   text parser, which `promtool check metrics` runs, so both accept and reject the same pages; for
 *   OpenMetrics, the line grammar of the specification (`# EOF` last, no blank lines or free comments,
 *   contiguous families, exemplars, float timestamps).
 * - ingestion (`ingestionProblems`): what makes Prometheus drop samples or store nonsense: a series given
 *   twice, histogram buckets that are not cumulative, a `+Inf` bucket missing or different from `_count`.
 *   `promtool check metrics` does not look at these; a real Prometheus does (duplicates) or stores the page
 *   unchanged (broken buckets, which then make `histogram_quantile` lie), so golive is the stricter one here.
 * - lint (`lintFamilies`): the rules of client_golang's `promlint`, which `promtool check metrics` prints as
 *   problems (missing HELP, counter without `_total`, non-base units, abbreviated units, camelCase, ...).
 */

/** The exposition format of a page. */
export type MetricsFormat = 'text' | 'openmetrics';

/** Metric types of both formats (`untyped` is the text format's name for OpenMetrics' `unknown`). */
export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped' | 'gauge_histogram' | 'gaugehistogram' | 'stateset' | 'info' | 'unknown';

/** One sample line. */
export interface Sample {
  /** The name as written (`http_requests_total`, `latency_seconds_bucket`). */
  name: string;
  /** Labels in page order, the histogram `le` and summary `quantile` included. */
  labels: Array<[string, string]>;
  value: number;
  /** As written (milliseconds in the text format, seconds in OpenMetrics); undefined when absent. */
  timestamp?: number;
  /** 1-based line number. */
  line: number;
}

/** A metric family: the samples that share a HELP/TYPE. */
export interface MetricFamily {
  name: string;
  type: MetricType;
  /** True when a TYPE line declared the type (else the text format's implicit `untyped`). */
  typed: boolean;
  help?: string;
  unit?: string;
  samples: Sample[];
}

/** The first syntax error of a page. */
export interface SyntaxProblem {
  line: number;
  message: string;
}

/** A parsed page. `error` is set when the page is not valid; families then hold what came before. */
export interface ParsedPage {
  format: MetricsFormat;
  families: MetricFamily[];
  error?: SyntaxProblem;
}

/** A problem that makes Prometheus drop or misread samples (duplicate series, broken histogram). */
export interface IngestionProblem {
  kind: 'duplicate-series' | 'histogram';
  /** The series or family concerned, e.g. `http_requests_total{route="/a"}`. */
  series: string;
  line: number;
  message: string;
}

/** One lint problem, as promtool prints it: `<metric> <text>`. */
export interface LintProblem {
  metric: string;
  text: string;
}

const isBlankOrTab = (c: number): boolean => c === 0x20 || c === 0x09;
const isNameStart = (c: number): boolean => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x3a;
const isNameCont = (c: number): boolean => isNameStart(c) || (c >= 0x30 && c <= 0x39);
const isLabelStart = (c: number): boolean => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f;
const isLabelCont = (c: number): boolean => isLabelStart(c) || (c >= 0x30 && c <= 0x39);
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/** Whether `s` is a valid metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`), checked without a regular expression. */
export function isMetricName(s: string): boolean {
  if (s.length === 0 || !isNameStart(s.charCodeAt(0))) return false;
  for (let i = 1; i < s.length; i++) if (!isNameCont(s.charCodeAt(i))) return false;
  return true;
}

/** Whether `s` is a valid label name (`[a-zA-Z_][a-zA-Z0-9_]*`). */
export function isLabelName(s: string): boolean {
  if (s.length === 0 || !isLabelStart(s.charCodeAt(0))) return false;
  for (let i = 1; i < s.length; i++) if (!isLabelCont(s.charCodeAt(i))) return false;
  return true;
}

/**
 * Go's `strconv.ParseFloat(s, 64)` as expfmt calls it: decimal floats, `inf`/`infinity` with an optional sign
 * and `nan` without one (any case); no hex floats or underscores; a value out of range is an error. Undefined
 * when `s` is not a float.
 */
export function parseGoFloat(s: string): number | undefined {
  if (s.length === 0 || s.length > 400) return undefined;
  let i = 0;
  const c0 = s.charCodeAt(0);
  const signed = c0 === 0x2b || c0 === 0x2d;
  if (signed) i = 1;
  const rest = s.slice(i).toLowerCase();
  if (rest === 'inf' || rest === 'infinity') return c0 === 0x2d ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (rest === 'nan') return signed ? undefined : Number.NaN;
  let digits = 0;
  while (i < s.length && isDigit(s.charCodeAt(i))) {
    i++;
    digits++;
  }
  if (i < s.length && s.charCodeAt(i) === 0x2e) {
    i++;
    while (i < s.length && isDigit(s.charCodeAt(i))) {
      i++;
      digits++;
    }
  }
  if (digits === 0) return undefined;
  if (i < s.length && (s.charCodeAt(i) === 0x65 || s.charCodeAt(i) === 0x45)) {
    i++;
    if (i < s.length && (s.charCodeAt(i) === 0x2b || s.charCodeAt(i) === 0x2d)) i++;
    let exp = 0;
    while (i < s.length && isDigit(s.charCodeAt(i))) {
      i++;
      exp++;
    }
    if (exp === 0) return undefined;
  }
  if (i !== s.length) return undefined;
  const v = Number(s);
  return Number.isFinite(v) ? v : undefined;
}

/** Go's `strconv.ParseInt(s, 10, 64)`: optional sign, decimal digits, within int64. */
function parseGoInt(s: string): number | undefined {
  let i = 0;
  if (s.charCodeAt(0) === 0x2b || s.charCodeAt(0) === 0x2d) i = 1;
  if (i >= s.length || s.length > 20) return undefined;
  for (let j = i; j < s.length; j++) if (!isDigit(s.charCodeAt(j))) return undefined;
  const b = BigInt(s);
  if (b > 9223372036854775807n || b < -9223372036854775808n) return undefined;
  return Number(b);
}

/** Quotes a token like Go's %q, short and with control characters escaped (pages are hostile). */
export function quote(s: string, max = 60): string {
  const cut = s.length > max ? `${s.slice(0, max)}…` : s;
  return safeJson(cut);
}

/** Characters JSON.stringify leaves raw that a terminal or document would act on. */
const RISKY = /[\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/;

/**
 * JSON.stringify, with the characters it leaves raw but a terminal or a document would act on (DEL, C1
 * controls, bidirectional overrides, line separators) escaped too, so nothing a page contains reaches output raw.
 */
export function safeJson(s: string): string {
  const j = JSON.stringify(s);
  // A single character class: linear, no backtracking.
  if (!RISKY.test(j)) return j;
  let out = '';
  for (let i = 0; i < j.length; i++) {
    const c = j.charCodeAt(i);
    const risky = (c >= 0x7f && c <= 0x9f) || (c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c === 0xfeff;
    out += risky ? `\\u${c.toString(16).padStart(4, '0')}` : j[i];
  }
  return out;
}

const TEXT_TYPES: Readonly<Record<string, MetricType>> = {
  COUNTER: 'counter',
  GAUGE: 'gauge',
  SUMMARY: 'summary',
  UNTYPED: 'untyped',
  HISTOGRAM: 'histogram',
  GAUGE_HISTOGRAM: 'gauge_histogram',
};

class ParseStop extends Error {}

/**
 * The Prometheus text format 0.0.4, as expfmt's TextParser reads it (the parser `promtool check metrics`
 * runs): the same states, the same tolerance (blank lines, free comments, spaces and tabs between tokens,
 * a trailing comma in labels, families split over the page) and the same errors.
 */
function parseText(page: string): ParsedPage {
  const byName = new Map<string, MetricFamily>();
  const order: MetricFamily[] = [];
  let pos = 0;
  let line = 0;
  let cur = -1; // current byte (char code); -1 at the end
  // Read through a function: TypeScript would otherwise narrow `cur` across the reads that change it.
  const at = (): number => cur;
  let mf: MetricFamily | undefined;
  let isCount = false;
  let isSum = false;
  // Summary and histogram samples with the same labels (le/quantile aside) are one metric in expfmt.
  const read = (): boolean => {
    if (pos >= page.length) {
      cur = -1;
      return false;
    }
    cur = page.charCodeAt(pos++);
    return true;
  };
  const fail = (message: string): never => {
    throw Object.assign(new ParseStop(message), { line });
  };
  const eof = (): never => fail('unexpected end of input stream');
  const skipBlankTab = (): void => {
    for (;;) {
      if (!read()) eof();
      if (!isBlankOrTab(at())) return;
    }
  };
  const readMetricName = (): string => {
    const start = pos - 1;
    if (!isNameStart(at())) return '';
    for (;;) {
      if (!read()) eof();
      if (!isNameCont(at())) return page.slice(start, pos - 1);
    }
  };
  const readUntilWhitespace = (): string => {
    const start = pos - 1;
    while (!isBlankOrTab(at()) && at() !== 0x0a) if (!read()) eof();
    return page.slice(start, pos - 1);
  };
  const readUntilNewline = (escapes: boolean): string => {
    let out = '';
    let escaped = false;
    for (;;) {
      if (escapes && escaped) {
        if (at() === 0x5c) out += '\\';
        else if (at() === 0x6e) out += '\n';
        else fail(`invalid escape sequence '\\${String.fromCharCode(at())}'`);
        escaped = false;
      } else if (at() === 0x0a) return out;
      else if (at() === 0x5c) escaped = true;
      else out += String.fromCharCode(at());
      if (!read()) eof();
    }
  };
  const setOrCreate = (name: string): MetricFamily => {
    isCount = false;
    isSum = false;
    const exact = byName.get(name);
    if (exact) return exact;
    const summaryName = name.endsWith('_count') ? name.slice(0, -6) : name.endsWith('_sum') ? name.slice(0, -4) : name;
    const s = byName.get(summaryName);
    if (s && s.type === 'summary' && s.typed) {
      isCount = name.endsWith('_count');
      isSum = name.endsWith('_sum');
      return s;
    }
    const histName = name.endsWith('_bucket') ? name.slice(0, -7) : summaryName;
    const h = byName.get(histName);
    if (h && h.type === 'histogram' && h.typed) {
      isCount = name.endsWith('_count');
      isSum = name.endsWith('_sum');
      return h;
    }
    const created: MetricFamily = { name, type: 'untyped', typed: false, samples: [] };
    byName.set(name, created);
    order.push(created);
    return created;
  };
  const types = new Map<MetricFamily, boolean>(); // families whose type is fixed (a TYPE line or a sample)
  const helps = new Set<MetricFamily>();

  try {
    // startOfLine
    for (;;) {
      line++;
      // skipBlankTab, where the end of input is the legitimate end
      let atEnd = false;
      for (;;) {
        if (!read()) {
          atEnd = true;
          break;
        }
        if (!isBlankOrTab(at())) break;
      }
      if (atEnd) break;
      if (at() === 0x0a) continue;
      if (at() === 0x23) {
        // startComment
        skipBlankTab();
        if (at() === 0x0a) continue;
        const keyword = readUntilWhitespace();
        if (at() === 0x0a) continue;
        if (keyword !== 'HELP' && keyword !== 'TYPE') {
          while (at() !== 0x0a) if (!read()) eof();
          continue;
        }
        skipBlankTab();
        const name = readMetricName();
        if (at() === 0x0a) continue;
        if (!isBlankOrTab(at())) fail('invalid metric name in comment');
        mf = setOrCreate(name);
        skipBlankTab();
        if (at() === 0x0a) continue;
        if (keyword === 'HELP') {
          if (helps.has(mf)) fail(`second HELP line for metric name ${quote(mf.name)}`);
          mf.help = readUntilNewline(true);
          helps.add(mf);
        } else {
          if (types.has(mf)) fail(`second TYPE line for metric name ${quote(mf.name)}, or TYPE reported after samples`);
          const word = readUntilNewline(false);
          const t = TEXT_TYPES[word.toUpperCase()];
          if (!t) fail(`unknown metric type ${quote(word)}`);
          mf.type = t as MetricType;
          mf.typed = true;
          types.set(mf, true);
        }
        continue;
      }
      // readingMetricName
      const name = readMetricName();
      if (name === '') fail('invalid metric name');
      mf = setOrCreate(name);
      if (!types.has(mf)) types.set(mf, true);
      const family = mf;
      const special = family.type === 'summary' ? 'quantile' : family.type === 'histogram' ? 'le' : '';
      if (isBlankOrTab(at())) skipBlankTab();
      const labels: Array<[string, string]> = [];
      const seen = new Set<string>();
      if (at() === 0x7b) {
        // startLabelName
        for (;;) {
          skipBlankTab();
          if (at() === 0x7d) {
            skipBlankTab();
            break;
          }
          const lstart = pos - 1;
          let lname = '';
          if (isLabelStart(at())) {
            for (;;) {
              if (!read()) eof();
              if (!isLabelCont(at())) break;
            }
            lname = page.slice(lstart, pos - 1);
          }
          if (lname === '') fail(`invalid label name for metric ${quote(family.name)}`);
          if (lname === '__name__') fail('label name "__name__" is reserved');
          if (isBlankOrTab(at())) skipBlankTab();
          if (at() !== 0x3d) fail(`expected '=' after label name, found ${quote(String.fromCharCode(at()))}`);
          if (lname !== special) {
            if (seen.has(lname)) fail(`duplicate label names for metric ${quote(family.name)}`);
            seen.add(lname);
          }
          // startLabelValue
          skipBlankTab();
          if (at() !== 0x22) fail(`expected '"' at start of label value, found ${quote(String.fromCharCode(at()))}`);
          let value = '';
          let escaped = false;
          for (;;) {
            // Fast path: copy a run of plain characters at once.
            if (!escaped) {
              let j = pos;
              while (j < page.length) {
                const c = page.charCodeAt(j);
                if (c === 0x22 || c === 0x5c || c === 0x0a) break;
                j++;
              }
              value += page.slice(pos, j);
              pos = j;
            }
            if (!read()) eof();
            if (escaped) {
              if (at() === 0x22 || at() === 0x5c) value += String.fromCharCode(at());
              else if (at() === 0x6e) value += '\n';
              else fail(`invalid escape sequence '\\${String.fromCharCode(at())}'`);
              escaped = false;
              continue;
            }
            if (at() === 0x22) break;
            if (at() === 0x0a) fail(`label value ${quote(value)} contains unescaped new-line`);
            if (at() === 0x5c) escaped = true;
            else value += String.fromCharCode(at());
          }
          if (lname === special && parseGoFloat(value) === undefined) fail(`expected float as value for '${special}' label, got ${quote(value)}`);
          labels.push([lname, value]);
          skipBlankTab();
          if (at() === 0x2c) continue;
          if (at() === 0x7d) {
            skipBlankTab();
            break;
          }
          fail(`unexpected end of label value ${quote(value)}`);
        }
      }
      // readingValue
      const token = readUntilWhitespace();
      const value = parseGoFloat(token);
      if (value === undefined) fail(`expected float as value, got ${quote(token)}`);
      const sample: Sample = { name, labels, value: value as number, line };
      // expfmt drops a summary sample without quantile (or a histogram one without le) that is not _sum/_count.
      const dropped = special !== '' && !isCount && !isSum && !labels.some(([k]) => k === special);
      if (!dropped) family.samples.push(sample);
      if (at() === 0x0a) continue;
      // startTimestamp
      skipBlankTab();
      const ts = readUntilWhitespace();
      const t = parseGoInt(ts);
      if (t === undefined) fail(`expected integer as timestamp, got ${quote(ts)}`);
      sample.timestamp = t as number;
      const spurious = readUntilNewline(false);
      if (spurious.length > 0) fail(`spurious string after timestamp: ${quote(spurious)}`);
    }
  } catch (e) {
    if (!(e instanceof ParseStop)) throw e;
    return { format: 'text', families: order.filter((f) => f.samples.length > 0), error: { line: (e as ParseStop & { line: number }).line, message: e.message } };
  }
  // expfmt forgets families without samples.
  return { format: 'text', families: order.filter((f) => f.samples.length > 0) };
}

const OM_TYPES = new Set(['counter', 'gauge', 'histogram', 'gaugehistogram', 'stateset', 'info', 'summary', 'unknown']);

/** Sample-name suffixes each OpenMetrics type allows after the family name. */
const OM_SUFFIXES: Readonly<Record<string, readonly string[]>> = {
  counter: ['_total', '_created'],
  gauge: [''],
  histogram: ['_bucket', '_count', '_sum', '_created'],
  gaugehistogram: ['_bucket', '_gcount', '_gsum'],
  stateset: [''],
  info: ['_info'],
  summary: ['', '_count', '_sum', '_created'],
  unknown: [''],
};

/** Reads `{a="b",c="d"}` at `i` (at the `{`); returns the labels and the index after `}`, or an error text. */
function readOmLabels(s: string, start: number): { labels: Array<[string, string]>; end: number } | string {
  const labels: Array<[string, string]> = [];
  const seen = new Set<string>();
  let i = start + 1;
  if (s.charCodeAt(i) === 0x7d) return { labels, end: i + 1 };
  for (;;) {
    const ls = i;
    if (!isLabelStart(s.charCodeAt(i))) return 'invalid label name';
    while (i < s.length && isLabelCont(s.charCodeAt(i))) i++;
    const name = s.slice(ls, i);
    if (seen.has(name)) return `duplicate label name ${quote(name)}`;
    seen.add(name);
    if (s.charCodeAt(i) !== 0x3d) return `expected '=' after label name ${quote(name)}`;
    i++;
    if (s.charCodeAt(i) !== 0x22) return `expected '"' at start of the value of label ${quote(name)}`;
    i++;
    let value = '';
    for (;;) {
      let j = i;
      while (j < s.length && s.charCodeAt(j) !== 0x22 && s.charCodeAt(j) !== 0x5c) j++;
      value += s.slice(i, j);
      i = j;
      if (i >= s.length) return `unterminated value of label ${quote(name)}`;
      const c = s.charCodeAt(i++);
      if (c === 0x22) break;
      if (c === 0x5c) {
        const e = s.charCodeAt(i++);
        if (e === 0x22 || e === 0x5c) value += String.fromCharCode(e);
        else if (e === 0x6e) value += '\n';
        else return `invalid escape sequence in the value of label ${quote(name)}`;
      } else value += String.fromCharCode(c);
    }
    labels.push([name, value]);
    const c = s.charCodeAt(i);
    if (c === 0x7d) return { labels, end: i + 1 };
    if (c !== 0x2c) return `expected ',' or '}' after the value of label ${quote(name)}`;
    i++;
  }
}

/** OpenMetrics 1.0: strict line grammar, `# EOF` last, one family's lines together, exemplars allowed. */
function parseOpenMetrics(page: string): ParsedPage {
  const families: MetricFamily[] = [];
  const byName = new Map<string, MetricFamily>();
  const closed = new Set<string>();
  let fam: MetricFamily | undefined;
  let lineNo = 0;
  let pos = 0;
  let sawEof = false;
  const error = (message: string): ParsedPage => ({ format: 'openmetrics', families, error: { line: lineNo, message } });
  const familyFor = (name: string, metadata: boolean): MetricFamily | string => {
    if (fam && fam.name === name) return fam;
    if (fam && !metadata) {
      // A sample of the current family: its name is the family name plus a suffix the type allows.
      for (const suffix of OM_SUFFIXES[fam.type] ?? ['']) if (name === fam.name + suffix) return fam;
    }
    if (closed.has(name) || byName.has(name)) return `metric family ${quote(name)} is not contiguous (its lines must be together)`;
    if (fam) closed.add(fam.name);
    const created: MetricFamily = { name, type: 'unknown', typed: false, samples: [] };
    byName.set(name, created);
    families.push(created);
    fam = created;
    return created;
  };
  while (pos < page.length) {
    lineNo++;
    if (sawEof) return error('content after "# EOF"');
    let nl = page.indexOf('\n', pos);
    if (nl < 0) nl = page.length;
    const text = page.slice(pos, nl);
    const terminated = nl < page.length;
    pos = nl + 1;
    if (text === '# EOF') {
      sawEof = true;
      continue;
    }
    if (!terminated) return error('line not terminated by a newline');
    if (text.length === 0) return error('empty line');
    if (text.charCodeAt(0) === 0x23) {
      const parts = text.split(' ');
      const keyword = parts[1] ?? '';
      if (parts[0] !== '#' || (keyword !== 'HELP' && keyword !== 'TYPE' && keyword !== 'UNIT')) return error('a comment must be "# HELP", "# TYPE", "# UNIT" or "# EOF"');
      const name = parts[2] ?? '';
      if (!isMetricName(name)) return error(`invalid metric name ${quote(name)} in ${keyword}`);
      const f = familyFor(name, true);
      if (typeof f === 'string') return error(f);
      if (f.samples.length > 0) return error(`${keyword} for ${quote(name)} after its samples`);
      const rest = parts.length > 3 ? text.slice(parts[0].length + keyword.length + name.length + 3) : undefined;
      if (keyword === 'TYPE') {
        if (f.typed) return error(`second TYPE line for ${quote(name)}`);
        if (rest === undefined || !OM_TYPES.has(rest)) return error(`unknown metric type ${quote(rest ?? '')}`);
        f.type = rest as MetricType;
        f.typed = true;
      } else if (keyword === 'HELP') {
        if (f.help !== undefined) return error(`second HELP line for ${quote(name)}`);
        let help = '';
        const src = rest ?? '';
        for (let i = 0; i < src.length; i++) {
          const c = src.charCodeAt(i);
          if (c !== 0x5c) {
            help += src[i];
            continue;
          }
          const e = src.charCodeAt(++i);
          if (e === 0x5c || e === 0x22) help += String.fromCharCode(e);
          else if (e === 0x6e) help += '\n';
          else return error('invalid escape sequence in HELP');
        }
        f.help = help;
      } else {
        if (f.unit !== undefined) return error(`second UNIT line for ${quote(name)}`);
        const unit = rest ?? '';
        if (unit !== '' && !name.endsWith(`_${unit}`)) return error(`metric name ${quote(name)} does not end with its unit ${quote(unit)}`);
        f.unit = unit;
      }
      continue;
    }
    // A sample: name, labels, one space, value, [space timestamp], [" # " exemplar].
    let i = 0;
    while (i < text.length && isNameCont(text.charCodeAt(i))) i++;
    const name = text.slice(0, i);
    if (!isMetricName(name)) return error(`invalid metric name ${quote(name)}`);
    let labels: Array<[string, string]> = [];
    if (text.charCodeAt(i) === 0x7b) {
      const l = readOmLabels(text, i);
      if (typeof l === 'string') return error(l);
      labels = l.labels;
      i = l.end;
    }
    if (text.charCodeAt(i) !== 0x20) return error('expected one space before the value');
    i++;
    let end = text.indexOf(' ', i);
    if (end < 0) end = text.length;
    const valueText = text.slice(i, end);
    const value = parseGoFloat(valueText);
    if (value === undefined) return error(`expected a number as value, got ${quote(valueText)}`);
    const sample: Sample = { name, labels, value, line: lineNo };
    i = end;
    if (i < text.length && !text.startsWith(' # ', i)) {
      i++;
      end = text.indexOf(' ', i);
      if (end < 0) end = text.length;
      const tsText = text.slice(i, end);
      const ts = parseGoFloat(tsText);
      if (ts === undefined || Number.isNaN(ts) || !Number.isFinite(ts)) return error(`expected a timestamp, got ${quote(tsText)}`);
      sample.timestamp = ts;
      i = end;
    }
    if (i < text.length) {
      if (!text.startsWith(' # {', i)) return error(`unexpected text after the sample: ${quote(text.slice(i))}`);
      const ex = readOmLabels(text, i + 3);
      if (typeof ex === 'string') return error(`exemplar: ${ex}`);
      const rest = text.slice(ex.end).split(' ');
      if (rest[0] !== '' || rest.length < 2 || rest.length > 3 || rest.slice(1).some((r) => parseGoFloat(r) === undefined)) return error('exemplar: expected " <value> [timestamp]" after its labels');
    }
    const f = familyFor(name, false);
    if (typeof f === 'string') return error(f);
    const allowed = OM_SUFFIXES[f.type] ?? [''];
    if (!allowed.some((suffix) => name === f.name + suffix)) return error(`sample ${quote(name)} does not belong to ${f.type} ${quote(f.name)}`);
    f.samples.push(sample);
  }
  if (!sawEof) {
    lineNo++;
    return error('missing "# EOF" at the end');
  }
  return { format: 'openmetrics', families: families.filter((f) => f.samples.length > 0 || f.typed || f.help !== undefined) };
}

/** Parses a page in the given format. Never throws for any input. */
export function parseMetricsPage(page: string, format: MetricsFormat): ParsedPage {
  return format === 'openmetrics' ? parseOpenMetrics(page) : parseText(page);
}

/** The series key of a sample: `name{a="1",b="2"}` with labels sorted, so label order does not matter. */
export function seriesKey(name: string, labels: ReadonlyArray<readonly [string, string]>): string {
  if (labels.length === 0) return name;
  const sorted = [...labels].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return `${name}{${sorted.map(([k, v]) => `${k}=${safeJson(v)}`).join(',')}}`;
}

/**
 * Ingestion problems of a valid page: a series given twice (Prometheus keeps one of them and counts the rest
 * as duplicates), histogram buckets that are not cumulative, without a `+Inf` bucket, or whose `+Inf` bucket
 * differs from `_count`. At most `max` problems are returned.
 */
export function ingestionProblems(page: ParsedPage, max = 50): IngestionProblem[] {
  const out: IngestionProblem[] = [];
  const seen = new Map<string, number>();
  for (const f of page.families) {
    for (const s of f.samples) {
      const key = seriesKey(s.name, s.labels);
      const first = seen.get(key);
      if (first !== undefined) {
        if (out.length < max) out.push({ kind: 'duplicate-series', series: key, line: s.line, message: `series ${key} on line ${s.line} repeats line ${first}` });
      } else seen.set(key, s.line);
    }
    if (f.type !== 'histogram' && f.type !== 'gaugehistogram' && f.type !== 'gauge_histogram') continue;
    const countSuffix = f.type === 'histogram' ? '_count' : '_gcount';
    // Group by the labels other than `le`.
    const groups = new Map<string, { buckets: Array<{ le: number; value: number; line: number }>; count?: number; line: number }>();
    for (const s of f.samples) {
      const rest = s.labels.filter(([k]) => k !== 'le');
      const key = seriesKey(f.name, rest);
      let g = groups.get(key);
      if (!g) {
        g = { buckets: [], line: s.line };
        groups.set(key, g);
      }
      if (s.name === `${f.name}_bucket`) {
        const le = s.labels.find(([k]) => k === 'le');
        const bound = le ? parseGoFloat(le[1]) : undefined;
        if (bound === undefined || Number.isNaN(bound)) {
          if (out.length < max) out.push({ kind: 'histogram', series: key, line: s.line, message: `${key}: bucket on line ${s.line} has no valid "le" label` });
          continue;
        }
        g.buckets.push({ le: bound, value: s.value, line: s.line });
      } else if (s.name === `${f.name}${countSuffix}`) g.count = s.value;
    }
    for (const [key, g] of groups) {
      if (g.buckets.length === 0) continue;
      const sorted = [...g.buckets].sort((a, b) => a.le - b.le);
      for (let i = 1; i < sorted.length; i++) {
        const prev = sorted[i - 1] as (typeof sorted)[number];
        const b = sorted[i] as (typeof sorted)[number];
        if (b.value < prev.value) {
          if (out.length < max) out.push({ kind: 'histogram', series: key, line: b.line, message: `${key}: buckets not cumulative: le=${fmtLe(b.le)} has ${b.value} < le=${fmtLe(prev.le)} ${prev.value}` });
          break;
        }
      }
      const inf = sorted.find((b) => b.le === Number.POSITIVE_INFINITY);
      if (!inf) {
        if (out.length < max) out.push({ kind: 'histogram', series: key, line: g.line, message: `${key}: no le="+Inf" bucket` });
      } else if (g.count !== undefined && g.count !== inf.value) {
        if (out.length < max) out.push({ kind: 'histogram', series: key, line: inf.line, message: `${key}: le="+Inf" bucket ${inf.value} differs from ${f.name}${countSuffix} ${g.count}` });
      }
    }
  }
  return out;
}

function fmtLe(v: number): string {
  return v === Number.POSITIVE_INFINITY ? '+Inf' : String(v);
}

const UNITS: Readonly<Record<string, string>> = {
  amperes: 'amperes',
  bytes: 'bytes',
  celsius: 'celsius',
  grams: 'grams',
  joules: 'joules',
  kelvin: 'kelvin',
  meters: 'meters',
  metres: 'metres',
  seconds: 'seconds',
  volts: 'volts',
  minutes: 'seconds',
  hours: 'seconds',
  days: 'seconds',
  weeks: 'seconds',
  kelvins: 'kelvin',
  fahrenheit: 'celsius',
  rankine: 'celsius',
  inches: 'meters',
  yards: 'meters',
  miles: 'meters',
  bits: 'bytes',
  calories: 'joules',
  pounds: 'grams',
  ounces: 'grams',
};
const UNIT_PREFIXES = ['pico', 'nano', 'micro', 'milli', 'centi', 'deci', 'deca', 'hecto', 'kilo', 'kilos', 'mega', 'giga', 'tera', 'peta', 'exa', 'zetta', 'yotta'];
const UNIT_ABBREVIATIONS = ['s', 'ms', 'us', 'ns', 'sec', 'b', 'kb', 'mb', 'gb', 'tb', 'pb', 'm', 'h', 'd'];

function metricUnit(name: string): { unit: string; base: string } | undefined {
  for (const part of name.split('_')) {
    const base = Object.hasOwn(UNITS, part) ? UNITS[part] : undefined;
    if (base) return { unit: part, base };
    for (const p of UNIT_PREFIXES) {
      if (!part.startsWith(p)) continue;
      const rest = part.slice(p.length);
      const b = Object.hasOwn(UNITS, rest) ? UNITS[rest] : undefined;
      if (b) return { unit: part, base: b };
    }
  }
  return undefined;
}

/** `[a-z][A-Z]` anywhere, the test promlint calls camelCase. */
function hasCamelCase(s: string): boolean {
  for (let i = 1; i < s.length; i++) {
    const a = s.charCodeAt(i - 1);
    const b = s.charCodeAt(i);
    if (a >= 0x61 && a <= 0x7a && b >= 0x41 && b <= 0x5a) return true;
  }
  return false;
}

/** The type name promlint uses in "metric name should not include type". */
function lintTypeName(t: MetricType): string {
  return t === 'gaugehistogram' ? 'gauge_histogram' : t;
}

/**
 * promlint's rules (the problems `promtool check metrics` prints), per family with samples. For an
 * OpenMetrics page the family name is the one of its samples (`_total` for counters, `_info` for info), as
 * Prometheus stores them.
 */
export function lintFamilies(page: ParsedPage): LintProblem[] {
  const out: LintProblem[] = [];
  for (const f of page.families) {
    if (f.samples.length === 0) continue;
    // OpenMetrics types promlint does not know are linted as what Prometheus stores them as.
    const type: MetricType = f.type === 'unknown' ? 'untyped' : f.type === 'info' || f.type === 'stateset' ? 'gauge' : f.type;
    const name = page.format === 'openmetrics' && type === 'counter' ? `${f.name}_total` : page.format === 'openmetrics' && f.type === 'info' ? `${f.name}_info` : f.name;
    const add = (text: string): void => {
      out.push({ metric: name, text });
    };
    if (f.help === undefined) add('no help text');
    const unit = metricUnit(name);
    if (unit && unit.unit !== unit.base) add(`use base unit "${unit.base}" instead of "${unit.unit}"`);
    const isCounter = type === 'counter';
    const isUntyped = type === 'untyped';
    // OpenMetrics' gaugehistogram has buckets too (the text format's gauge_histogram keeps promlint's view).
    const isHistogram = type === 'histogram' || type === 'gaugehistogram';
    const isSummary = type === 'summary';
    if (isCounter && !name.endsWith('_total')) add('counter metrics should have "_total" suffix');
    else if (!isUntyped && !isCounter && name.endsWith('_total')) add('non-counter metrics should not have "_total" suffix');
    if (!isUntyped) {
      if (!isHistogram && name.endsWith('_bucket')) add('non-histogram metrics should not have "_bucket" suffix');
      if (!isHistogram && !isSummary && name.endsWith('_count')) add('non-histogram and non-summary metrics should not have "_count" suffix');
      if (!isHistogram && !isSummary && name.endsWith('_sum')) add('non-histogram and non-summary metrics should not have "_sum" suffix');
      for (const s of f.samples) {
        for (const [l] of s.labels) {
          if (!isHistogram && l === 'le') add('non-histogram metrics should not have "le" label');
          if (!isSummary && l === 'quantile') add('non-summary metrics should not have "quantile" label');
        }
      }
      const lower = name.toLowerCase();
      const typeName = lintTypeName(type);
      if (lower.includes(`_${typeName}_`) || lower.endsWith(`_${typeName}`)) add(`metric name should not include type '${typeName}'`);
    }
    if (name.includes(':')) add("metric names should not contain ':'");
    if (hasCamelCase(name)) add("metric names should be written in 'snake_case' not 'camelCase'");
    for (const s of f.samples) {
      for (const [l] of s.labels) if (hasCamelCase(l)) add("label names should be written in 'snake_case' not 'camelCase'");
    }
    const lower = name.toLowerCase();
    for (const a of UNIT_ABBREVIATIONS) if (lower.includes(`_${a}_`) || lower.endsWith(`_${a}`)) add('metric names should not contain abbreviated units');
  }
  // promtool prints each problem once per family and text, sorted.
  const unique = new Map<string, LintProblem>();
  for (const p of out) unique.set(`${p.metric} ${p.text}`, p);
  return [...unique.values()].sort((a, b) => (a.metric === b.metric ? (a.text < b.text ? -1 : a.text > b.text ? 1 : 0) : a.metric < b.metric ? -1 : 1));
}

/** A series selector: `name{label="v",other!="w"}` (equality and inequality only: no regular expressions). */
export interface SeriesSelector {
  name: string;
  matchers: Array<{ label: string; op: '=' | '!='; value: string }>;
  /** As written, for messages. */
  text: string;
}

/** Parses a series selector; returns an error text for an invalid one. */
export function parseSelector(text: string): SeriesSelector | string {
  if (text.length > 1000) return 'selector longer than 1000 characters';
  let i = 0;
  while (i < text.length && isNameCont(text.charCodeAt(i))) i++;
  const name = text.slice(0, i);
  if (!isMetricName(name)) return `expected a metric name at the start of ${quote(text)}`;
  const matchers: SeriesSelector['matchers'] = [];
  if (i === text.length) return { name, matchers, text };
  if (text.charCodeAt(i) !== 0x7b) return `expected "{" after the metric name in ${quote(text)}`;
  i++;
  for (;;) {
    while (text.charCodeAt(i) === 0x20) i++;
    if (text.charCodeAt(i) === 0x7d && i === text.length - 1) return { name, matchers, text };
    const ls = i;
    while (i < text.length && isLabelCont(text.charCodeAt(i))) i++;
    const label = text.slice(ls, i);
    if (!isLabelName(label)) return `expected a label name at offset ${ls} of ${quote(text)}`;
    while (text.charCodeAt(i) === 0x20) i++;
    let op: '=' | '!=';
    if (text.startsWith('!=', i)) {
      op = '!=';
      i += 2;
    } else if (text.startsWith('=~', i) || text.startsWith('!~', i)) {
      return `regular-expression matchers (=~, !~) are not supported in ${quote(text)}: use = or !=`;
    } else if (text.charCodeAt(i) === 0x3d) {
      op = '=';
      i++;
    } else return `expected = or != after label ${quote(label)} in ${quote(text)}`;
    while (text.charCodeAt(i) === 0x20) i++;
    if (text.charCodeAt(i) !== 0x22) return `expected a double-quoted value for label ${quote(label)} in ${quote(text)}`;
    i++;
    let value = '';
    for (;;) {
      if (i >= text.length) return `unterminated value for label ${quote(label)} in ${quote(text)}`;
      const c = text.charCodeAt(i++);
      if (c === 0x22) break;
      if (c === 0x5c) {
        const e = text.charCodeAt(i++);
        if (e === 0x22 || e === 0x5c) value += String.fromCharCode(e);
        else if (e === 0x6e) value += '\n';
        else return `invalid escape in the value of label ${quote(label)} in ${quote(text)}`;
      } else value += String.fromCharCode(c);
    }
    matchers.push({ label, op, value });
    while (text.charCodeAt(i) === 0x20) i++;
    if (text.charCodeAt(i) === 0x2c) {
      i++;
      continue;
    }
    if (text.charCodeAt(i) === 0x7d && i === text.length - 1) return { name, matchers, text };
    return `expected "," or a final "}" after the value of label ${quote(label)} in ${quote(text)}`;
  }
}

/** The samples of a page that a selector matches (a label the sample lacks counts as the empty value). */
export function selectSamples(page: ParsedPage, sel: SeriesSelector): Sample[] {
  const out: Sample[] = [];
  for (const f of page.families) {
    for (const s of f.samples) {
      if (s.name !== sel.name) continue;
      const ok = sel.matchers.every((m) => {
        const v = s.labels.find(([k]) => k === m.label)?.[1] ?? '';
        return m.op === '=' ? v === m.value : v !== m.value;
      });
      if (ok) out.push(s);
    }
  }
  return out;
}
