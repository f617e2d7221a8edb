/**
 * Header values golive may send. CR, LF or NUL inside a value would split or corrupt the request line; a secret
 * read from a file with its trailing newline is the usual cause. Such a value is refused when config loads (or
 * when `-H` is parsed), naming the header and never echoing the value, which is usually a credential; sent, it
 * would fail as "malformed HTTP response" and blame the target.
 */

/** The refusal, for config validation messages (the path names the header; the value is never shown). */
export const HEADER_VALUE_PROBLEM = 'header value contains a line break (CR or LF) or NUL; trim it (a secret read with its trailing newline?); the value is not shown';

/** Whether a header value can be sent as it is. */
export function isSendableHeaderValue(value: string): boolean {
  return !/[\r\n\0]/.test(value);
}
