/** The `sign` option shared by the kinds that sign requests (load, idempotency): a template (load/signing.ts) and where its secret is. */
import { z } from 'zod';
import { SIGN_ALGORITHMS, SIGN_ENCODINGS, signTemplateProblems } from '../../load/signing.ts';

/** Timestamped HMAC signature of a request, described by templates (docs/load.md#signing); problems named at config load. */
export const signOptionSchema = z
  .object({
    secretEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).describe('Environment variable holding the signing secret.'),
    header: z.string().min(1).describe('Header carrying the signature, e.g. Stripe-Signature.'),
    payload: z
      .string()
      .min(1)
      .describe('The signed string: {{timestamp}}, {{method}}, {{path}} (no query), {{body}}, {{header:Name}}, {{keyId}}; e.g. {{timestamp}}.{{body}}.'),
    value: z.string().min(1).default('{{signature}}').describe('The header value: {{signature}}, {{timestamp}}, {{keyId}}; e.g. t={{timestamp}},v1={{signature}}.'),
    keyId: z.string().min(1).optional().describe('Key id for rotation ({{keyId}}).'),
    algorithm: z.enum(SIGN_ALGORITHMS).default('sha256').describe('HMAC hash function.'),
    encoding: z.enum(SIGN_ENCODINGS).default('hex').describe('Encoding of {{signature}}.'),
    uniqueSignatures: z
      .boolean()
      .default(false)
      .describe('Sign each repeat of an identical request with its own timestamp (one second earlier per repeat), for receivers that refuse a replayed signature.'),
  })
  .strict()
  .superRefine((t, ctx) => {
    for (const p of signTemplateProblems(t)) ctx.addIssue({ code: 'custom', path: [p.field], message: p.message });
  });

/** The validated `sign` option. */
export type SignOption = z.output<typeof signOptionSchema>;
