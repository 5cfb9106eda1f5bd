#!/usr/bin/env node
// The runtime dependency closure of workspace packages, as an installed copy
// would load it: follows `dependencies` (not dev, not optional peers) through
// node_modules and prints how many external packages that is and their size.
//
//   node scripts/dependency-closure.mjs local slurm k8s
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const packagesDir = join(root, 'packages');

function dependenciesOf(dir) {
  return Object.keys(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).dependencies ?? {});
}

/** Node's lookup: the nearest node_modules/<name> upwards from `fromDir`. */
function resolvePackage(fromDir, name) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dirname(dir) === dir) return undefined;
  }
}

for (const name of process.argv.slice(2)) {
  const seen = new Map();
  const queue = [realpathSync(join(packagesDir, name))];
  while (queue.length > 0) {
    const dir = queue.pop();
    for (const dependency of dependenciesOf(dir)) {
      const found = resolvePackage(dir, dependency);
      if (found === undefined || seen.has(found)) continue;
      seen.set(found, dependency);
      queue.push(found);
    }
  }
  const external = [...seen.keys()].filter((dir) => !dir.startsWith(packagesDir));
  const workspace = [...seen].filter(([dir]) => dir.startsWith(packagesDir)).map(([, dependency]) => dependency);
  const kibibytes = external.reduce(
    (sum, dir) => sum + Number(execFileSync('du', ['-sk', '--apparent-size', dir], { encoding: 'utf8' }).split('\t')[0]),
    0,
  );
  console.log(`@pollinator/${name}: ${external.length} external packages (${(kibibytes / 1024).toFixed(1)} MiB); workspace: ${workspace.sort().join(', ') || 'none'}`);
}
