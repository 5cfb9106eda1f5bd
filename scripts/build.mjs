#!/usr/bin/env node
// Builds every publishable package in dependency order, one at a time.
//
// `pnpm -r build` sorts by all dependency kinds, and the private test-utils
// package (a devDependency of several packages, itself depending on core)
// closes a cycle, so pnpm may build core before spec-builder and its `.d.ts`
// step then fails. Runtime `dependencies` alone form no cycle: sort by them.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const packages = new Map();
for (const directory of readdirSync(join(root, 'packages'))) {
  const file = join(root, 'packages', directory, 'package.json');
  if (!existsSync(file)) continue;
  const manifest = JSON.parse(readFileSync(file, 'utf8'));
  if (manifest.private || !manifest.scripts?.build) continue;
  packages.set(manifest.name, { directory, dependencies: Object.keys(manifest.dependencies ?? {}) });
}

const order = [];
const state = new Map();
function visit(name, trail) {
  if (state.get(name) === 'done') return;
  if (state.get(name) === 'visiting') throw new Error(`dependency cycle: ${[...trail, name].join(' → ')}`);
  state.set(name, 'visiting');
  for (const dependency of packages.get(name).dependencies) {
    if (packages.has(dependency)) visit(dependency, [...trail, name]);
  }
  state.set(name, 'done');
  order.push(name);
}
for (const name of [...packages.keys()].sort()) visit(name, []);

const only = process.argv.slice(2);
for (const name of order) {
  if (only.length > 0 && !only.some((wanted) => name.includes(wanted))) continue;
  const { directory } = packages.get(name);
  console.log(`==> ${name}`);
  const result = spawnSync('pnpm', ['run', 'build'], { cwd: join(root, 'packages', directory), stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
