import { defineConfig } from 'tsup';
import { createTsupConfig } from '../../tsup.config.base.ts';

// Two entries: the library (`index`) and `project-issues`, the issue type and
// its formatters alone (no zod, no yaml), which the CLI imports at start-up
// to show project.yaml problems without loading the parser.
export default defineConfig(createTsupConfig({ entry: ['src/index.ts', 'src/project-issues.ts'] }));
