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

/** The JSON logger pilot uses: one line per entry, ISO time, secrets redacted. */
export function createLogger(level: string, destination?: pino.DestinationStream): pino.Logger {
  return pino(
    {
      level,
      base: { service: 'pilot' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
