/**
 * SQLSTATE classes that describe the data of a statement rather than the database's health: 22 (data
 * exception: invalid text, numeric overflow, unsupported escape) and 54 (program limit exceeded: stack
 * depth, too complex). When client data reaches the database and gets one of these, the request is at
 * fault (4xx), not the service.
 */
const DATA_ERROR = /^(22|54)[0-9A-Z]{3}$/;

/** Whether an error thrown by a query is a SQLSTATE data error (class 22 or 54), from pg or PGlite. */
export function isDatabaseDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && DATA_ERROR.test(code);
}
