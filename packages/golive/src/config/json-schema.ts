/** The published JSON Schema of the config (what `golive schema` prints; committed in packages/golive/schema/). */
import { z } from 'zod';
import type { CheckDefinition } from '../checks/types.ts';
import { buildConfigSchema } from './schema.ts';

/** Id of the config schema (a URN: the file ships in the package, at schema/config.schema.json). */
export const CONFIG_SCHEMA_ID = 'urn:golive:schema:config';

/** The config's JSON Schema (draft 2020-12), each check kind's options included. */
export function configJsonSchema(kinds: readonly CheckDefinition[]): Record<string, unknown> {
  const schema = z.toJSONSchema(buildConfigSchema(kinds), { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
  return { ...schema, $id: CONFIG_SCHEMA_ID, title: 'golive config', description: 'golive.config.ts / .yaml / .json: target, checks, stages.' };
}
