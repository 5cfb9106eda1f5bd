#!/usr/bin/env node
// The `pollinator` command. Kept tiny on purpose: enable Node's on-disk compile
// cache (Node >= 22.1; a no-op elsewhere) and hand over to the bundled entry,
// which loads each subcommand only when it runs.
import module from 'node:module';

if (typeof module.enableCompileCache === 'function') {
  try {
    module.enableCompileCache();
  } catch {
    // The cache is an optimisation only.
  }
}

const { main } = await import('../dist/main.js');
process.exitCode = await main(process.argv.slice(2));
