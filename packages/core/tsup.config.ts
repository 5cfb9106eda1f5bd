import { defineConfig } from 'tsup';
import { createTsupConfig } from '../../tsup.config.base.ts';

// Two entries: the library (`index`) and `process-summary-entry` (exported as
// `./process-summary`): what the CLI's one-request commands (`status`, `ps`,
// `logs`, `cancel`) need, without cfs-sync, the AWS SDK, spec-builder or ssh2,
// so those commands start fast. Shared code lands in common chunks.
export default defineConfig(createTsupConfig({ entry: ['src/index.ts', 'src/process-summary-entry.ts'] }));
