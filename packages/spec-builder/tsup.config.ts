import { defineConfig } from 'tsup';
import { createTsupConfig } from '../../tsup.config.base.ts';

// Two entries: the library (`index`) and `project-issues-entry` (exported as
// `./project-issues`): the issue type, its formatters and the errors alone (no
// zod, no yaml), which the CLI imports at start-up to explain a failure
// without loading the parser.
export default defineConfig(createTsupConfig({ entry: ['src/index.ts', 'src/project-issues-entry.ts'] }));
