import { z } from 'zod';
import { projectSchema } from './project-schema';

/**
 * The JSON Schema (draft-07, the dialect YAML editors understand) of
 * project.yaml, generated from the zod schema. Committed as
 * `project.schema.json` and exported as `@pollinator/spec-builder/schema.json`.
 */
export function projectJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(projectSchema, { target: 'draft-7', io: 'input', unrepresentable: 'any' });
}

/** The file contents of `project.schema.json`. */
export function projectJsonSchemaText(): string {
  return `${JSON.stringify(projectJsonSchema(), null, 2)}\n`;
}
