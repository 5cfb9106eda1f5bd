import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';

/** RFC 3339 date-time, as draft-07's `format: date-time` means it. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/** A strict ajv (draft-07) that knows the `date-time` format. */
export function createAjv(): Ajv {
  // Union types (`["number", "null"]`) are plain JSON Schema; ajv's strict mode only asks to allow them.
  const ajv = new Ajv({ strict: true, allErrors: true, allowUnionTypes: true });
  ajv.addFormat('date-time', (text: string) => DATE_TIME.test(text) && !Number.isNaN(Date.parse(text)));
  return ajv;
}

let compiled: ValidateFunction | undefined;

/** The validator of the committed `schema/events.schema.json`. */
export function eventValidator(): ValidateFunction {
  if (compiled !== undefined) return compiled;
  const schema = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'schema', 'events.schema.json'), 'utf8')) as object;
  compiled = createAjv().compile(schema);
  return compiled;
}

/** The problems of one `--json` line, '' when it is valid. */
export function eventProblems(event: unknown): string {
  const validate = eventValidator();
  if (validate(event)) return '';
  const type = (event as { type?: unknown } | null)?.type;
  const problems = (validate.errors ?? [])
    .filter((error) => error.keyword !== 'if')
    .map((error) => `${error.instancePath || '/'} ${error.message ?? ''}${error.keyword === 'additionalProperties' ? ` (${String((error.params as { additionalProperty?: string }).additionalProperty)})` : ''}`);
  return `${String(type)}: ${problems.join('; ')}`;
}
