import { defineConfig } from 'tsup';
import { createTsupConfig } from '../../tsup.config.base.ts';

// Two entries: the library (`index`) and `signing-entry` (exported as
// `./signing`): keys and signatures without signer recovery, so a client
// does not load @noble/curves. Shared code lands in common chunks.
export default defineConfig(createTsupConfig({ entry: ['src/index.ts', 'src/signing-entry.ts'] }));
