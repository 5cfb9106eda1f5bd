import { defineConfig } from 'tsup';
import { createTsupConfig } from '../../tsup.config.base.ts';

// Two entries: the library surface (`index`) and the command (`main`, which
// bin/pollinator.js imports). Commands are loaded with `import()` and end up
// in their own chunks, so `pollinator --help` loads only commander.
export default defineConfig(createTsupConfig({ entry: ['src/index.ts', 'src/main.ts'] }));
