// Writes packages/cli/schema/events.schema.json, the contract of `--json`.
// Run: pnpm --filter @pollinator/cli generate:schema
// (a test fails when the committed file is out of date).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { eventsJsonSchemaText } from '../src/render/json-schema';

const target = fileURLToPath(new URL('../schema/events.schema.json', import.meta.url));
writeFileSync(target, eventsJsonSchemaText());
console.log(`wrote ${target}`);
