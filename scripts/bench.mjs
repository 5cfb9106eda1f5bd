#!/usr/bin/env node
// Runs the benchmarks in bench/ one after another (or only those whose file
// name contains one of the arguments): `pnpm bench`, `pnpm bench crypto`.
// Each benchmark prints its own figures and ratios against its anchors.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const benchDirectory = fileURLToPath(new URL('../bench/', import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(benchDirectory)
  .filter((name) => name.endsWith('.ts'))
  .filter((name) => filters.length === 0 || filters.some((filter) => name.includes(filter)))
  .sort();

if (files.length === 0) {
  console.error(`no benchmark in bench/ matches ${filters.join(', ')}`);
  process.exit(64);
}
let failed = 0;
for (const name of files) {
  console.log(`\n=== bench/${name}`);
  const result = spawnSync(process.execPath, ['--conditions=@pollinator/source', '--import', 'tsx', join(benchDirectory, name)], {
    stdio: 'inherit',
    cwd: join(benchDirectory, '..'),
  });
  if (result.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
