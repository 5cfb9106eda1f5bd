// Writes packages/spec-builder/project.schema.json from the zod schema.
// Run: pnpm --filter @pollinator/spec-builder generate:schema
// (a test fails when the committed file is out of date).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { projectJsonSchemaText } from '../src/json-schema';

const target = fileURLToPath(new URL('../project.schema.json', import.meta.url));
writeFileSync(target, projectJsonSchemaText());
console.log(`wrote ${target}`);
