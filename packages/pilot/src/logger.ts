import pino from 'pino';

/**
 * Paths pino replaces with "[redacted]". Fastify's request serializer logs no headers, but a
 * handler that logs a request, an error with a config object or a raw header must not leak either.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-signature"]',
  'req.headers["stripe-signature"]',
  'req.headers["x-admin-token"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["x-signature"]',
  'headers["stripe-signature"]',
  '*.apiKey',
  '*.signingSecret',
  '*.secret',
  '*.password',
  '*.token',
  '*.adminToken',
  '*.authorization',
  '*.cookie',
  '*.signature',
];

// Database messages quote values (`invalid input syntax for type uuid: "…"`, `Key (k)=(…)`), whatever the class.
const SQLSTATE = /^[0-9A-Z]{5}$/;

/**
 * How errors are logged (the `err` key): type, code, status, message and stack frames, nothing else.
 * Database errors carry the statement's parameters (PGlite: `query`, `params`), `detail` and `where`
 * (PostgreSQL quotes the JSON around a bad token), so they would copy request payloads into the logs; database
 * and JSON syntax messages lose everything from their first quote on, where they quote the data.
 */
export function serializeError(err: unknown): Record<string, unknown> {
  // A plain object was shaped by the code that logs it (`{ err: { message, code } }`): kept as it is.
  if (!(err instanceof Error)) return typeof err === 'object' && err !== null ? (err as Record<string, unknown>) : { value: String(err) };
  const e = err as Error & { code?: unknown; statusCode?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const scrub = err instanceof SyntaxError || (code !== undefined && SQLSTATE.test(code));
  // From the first quote on, the message is the data (`invalid input syntax for type uuid: "…"`).
  const quote = scrub ? err.message.search(/["'`]/) : -1;
  const message = quote >= 0 ? `${err.message.slice(0, quote)}[redacted]` : err.message;
  const frames = err.stack?.indexOf('\n    at ') ?? -1;
  return {
    type: err.name,
    message,
    ...(code !== undefined ? { code } : {}),
    ...(typeof e.statusCode === 'number' ? { statusCode: e.statusCode } : {}),
    ...(frames >= 0 ? { stack: `${err.name}: ${message}${err.stack!.slice(frames)}` } : {}),
  };
}

/** The JSON logger pilot uses: one line per entry, ISO time, secrets redacted, errors without payload bytes. */
export function createLogger(level: string, destination?: pino.DestinationStream): pino.Logger {
  return pino(
    {
      level,
      base: { service: 'pilot' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { err: serializeError, error: serializeError },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
