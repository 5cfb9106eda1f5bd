import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, definedOnly, repoRoot, type Sandbox } from './cli-harness';

// What a user gets from the registry: build the CLI and every workspace
// package it depends on, `pnpm pack` them, install the tarballs with npm into
// an empty directory, and use the installed `pollinator` there. Slow (a
// build, an npm install that compiles better-sqlite3), so it is one file.

interface WorkspacePackage {
  name: string;
  dir: string;
}

function workspacePackages(): Map<string, WorkspacePackage> {
  const packages = new Map<string, WorkspacePackage>();
  for (const entry of readdirSync(join(repoRoot, 'packages'))) {
    const file = join(repoRoot, 'packages', entry, 'package.json');
    if (!existsSync(file)) continue;
    const { name } = JSON.parse(readFileSync(file, 'utf8')) as { name: string };
    packages.set(name, { name, dir: join(repoRoot, 'packages', entry) });
  }
  return packages;
}

/** `@pollinator/cli` and the workspace packages it needs at run time, transitively, dependencies first. */
function runtimeClosure(all: Map<string, WorkspacePackage>): WorkspacePackage[] {
  const seen = new Set<string>();
  const ordered: WorkspacePackage[] = [];
  const visit = (name: string) => {
    const found = all.get(name);
    if (found === undefined || seen.has(name)) return;
    seen.add(name);
    const manifest = JSON.parse(readFileSync(join(found.dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const [dependency, range] of Object.entries(manifest.dependencies ?? {})) {
      if (range.startsWith('workspace:')) visit(dependency);
    }
    ordered.push(found);
  };
  visit('@pollinator/cli');
  return ordered;
}

function check(result: SpawnSyncReturns<string>, what: string): SpawnSyncReturns<string> {
  if (result.status !== 0) {
    throw new Error(`${what} failed (exit ${result.status}, ${result.error?.message ?? ''}):\n${result.stdout}\n${result.stderr}`.slice(-6000));
  }
  return result;
}

let work: string;
let sandbox: Sandbox;
let bin: string;

const phase = (name: string, started: number) => console.log(`pack test: ${name} took ${((Date.now() - started) / 1000).toFixed(1)} s`);

beforeAll(() => {
  let started = Date.now();
  work = mkdtempSync(join(tmpdir(), 'pollinator-pack-test-'));
  sandbox = createSandbox();
  const packages = runtimeClosure(workspacePackages());
  // One package at a time, dependencies first (each build's .d.ts needs its dependencies' dist).
  for (const pkg of packages) {
    check(spawnSync('pnpm', ['run', 'build'], { cwd: pkg.dir, encoding: 'utf8', timeout: 300_000 }), `pnpm build of ${pkg.name}`);
  }
  phase('build', started);
  started = Date.now();

  const tarballs = join(work, 'tarballs');
  mkdirSync(tarballs);
  for (const pkg of packages) {
    check(spawnSync('pnpm', ['pack', '--pack-destination', tarballs], { cwd: pkg.dir, encoding: 'utf8', timeout: 120_000 }), `pnpm pack ${pkg.name}`);
  }
  const files = readdirSync(tarballs).filter((file) => file.endsWith('.tgz'));
  expect(files).toHaveLength(packages.length);
  phase('pack', started);
  started = Date.now();

  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), '{ "name": "pack-test", "private": true }\n');
  check(
    spawnSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...files.map((file) => join(tarballs, file))], {
      cwd: app,
      encoding: 'utf8',
      timeout: 600_000,
      env: definedOnly({ ...process.env, npm_config_ignore_scripts: 'false' }),
    }),
    'npm install of the tarballs',
  );
  phase('npm install', started);
  bin = join(app, 'node_modules', '.bin', 'pollinator');
}, 900_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  sandbox?.cleanup();
});

describe('the packed CLI, installed with npm into an empty directory', () => {
  it('pollinator --help works and starts fast', () => {
    const timings: number[] = [];
    let help: SpawnSyncReturns<string> | undefined;
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const started = process.hrtime.bigint();
      help = spawnSync(bin, ['--help'], { cwd: work, encoding: 'utf8', env: definedOnly(sandbox.env) });
      timings.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    expect(help?.status, help?.stderr).toBe(0);
    expect(help?.stdout).toContain('Usage: pollinator');
    const median = [...timings].sort((a, b) => a - b)[2] ?? Infinity;
    console.log(`pollinator --help (installed from tarballs): median ${median.toFixed(0)} ms of ${timings.map((t) => t.toFixed(0)).join(', ')}`);
    expect(median).toBeLessThan(1000);
  });

  it('pollinator new + pollinator run on the embedded default', { timeout: 180_000 }, () => {
    const created = spawnSync(bin, ['new', 'demo'], { cwd: work, encoding: 'utf8', env: definedOnly(sandbox.env) });
    expect(created.status, created.stderr).toBe(0);
    const dir = join(work, 'demo');
    const ran = spawnSync(bin, ['run'], { cwd: dir, encoding: 'utf8', env: definedOnly(sandbox.env), timeout: 170_000 });
    expect(ran.status, `${ran.stdout}\n${ran.stderr}`).toBe(0);
    expect(ran.stdout).toContain('Hello world!');
    expect(ran.stderr).toContain('Succeeded');
    expect(readFileSync(join(dir, 'cfs', 'result', 'result.txt'), 'utf8')).toBe('HELLO WORLD!\n');
  });
});
