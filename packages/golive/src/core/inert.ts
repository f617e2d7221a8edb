/**
 * Making target text inert before people or CI runners read it. Bodies, headers and a managed target's output
 * are hostile: an escape sequence can clear a terminal and print a fake "GO", a bidi override can reorder a
 * line, a line starting with `::` is a GitHub workflow command (`::add-mask::`, `::stop-commands::`), and
 * Markdown or HTML in a step summary renders as images and links. Every human-facing writer passes target text
 * through these functions; machine formats (JSON) keep it as data.
 */

/**
 * Control characters (C0 but tab and newline, DEL, C1), bidi controls and line or paragraph separators: shown
 * as `\xHH` / `\uHHHH` text so the reader sees that they were there.
 */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

/** Replaces control characters with visible escapes; keeps tab and newline. */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** A line a GitHub runner would read as a workflow command: optional blanks, then `::`. */
const WORKFLOW_COMMAND = /^(\s*):(?=:)/gm;

/**
 * Breaks workflow commands in text written to a CI log: a line starting with `::` gets its first colon shown
 * as `\x3a`. golive's own lines never start with `::`; only text from a target can.
 */
export function neutraliseWorkflowCommands(text: string): string {
  return text.replace(WORKFLOW_COMMAND, '$1\\x3a');
}

/** Target text for a terminal or a log: control characters escaped, workflow commands broken. */
export function inertText(text: string): string {
  return neutraliseWorkflowCommands(escapeControl(text));
}

/** Backslash-escapes every ASCII punctuation character, so Markdown reads the text literally (GFM escapes). */
export function markdownText(text: string): string {
  return escapeControl(text)
    .replace(/[\\`*_{}[\]()#+\-.!|<>~&"'=:$%^@,;?/]/g, (c) => `\\${c}`)
    .replace(/\s+/g, ' ');
}

/**
 * Text as a Markdown code span, the inert form for evidence: no emphasis, link, image or HTML inside a code span
 * is rendered. Backticks cannot be escaped inside a span, so the fence is longer than any run of them in the
 * text; pipes are escaped because GFM splits table cells before it reads code spans.
 */
export function markdownCode(text: string): string {
  const body = escapeControl(text).replace(/\s+/g, ' ').replace(/\|/g, '\\|');
  if (body === '') return '';
  const longest = Math.max(0, ...(body.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  const pad = body.startsWith('`') || body.endsWith('`') || (body.startsWith(' ') && body.endsWith(' ')) ? ' ' : '';
  return `${fence}${pad}${body}${pad}${fence}`;
}
