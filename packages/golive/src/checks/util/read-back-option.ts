/**
 * A count read back from the target (load/dedup.ts `ReadBackSpec`): a number in a JSON answer, or the sum of a
 * counter on a Prometheus page. The same shape as the load check's `verify`, for kinds that read a count of
 * effects before and after they act (webhook's `effectCount`).
 */
import { z } from 'zod';
import { parseJsonPath } from '../../core/json-path.ts';

/** A JSON path in the http check's dialect, validated when the config loads. */
export const jsonPathSchema = z
  .string()
  .min(1)
  .superRefine((p, ctx) => {
    try {
      parseJsonPath(p);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
    }
  });

/** Where a count is read: `{type: "json", path, jsonPath}` or `{type: "metric", path?, metric, labels?}`. */
export const readBackOptionSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('json'),
      path: z.string().min(1).describe('GET path returning JSON, e.g. /v1/events.'),
      jsonPath: jsonPathSchema.describe("JSON path to the count (the http check's dialect), e.g. count, data.total or items.length."),
      headers: z.record(z.string(), z.string()).optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('metric'),
      path: z.string().min(1).default('/metrics').describe('Prometheus text page.'),
      metric: z
        .string()
        .regex(/^[A-Za-z_:][\w:]*$/)
        .describe('Counter name; matching series are summed.'),
      labels: z.record(z.string(), z.string()).optional(),
      headers: z.record(z.string(), z.string()).optional(),
    })
    .strict(),
]);
