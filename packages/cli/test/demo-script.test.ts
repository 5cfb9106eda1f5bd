import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSandbox, definedOnly, repoRoot, type Sandbox } from './cli-harness';

// scripts/demo.sh when a setup step fails: it names the step, shows the tail
// of its output and says what to do, and exits 1 (it used to exit 1 with no
// output when better-sqlite3 failed to build). The failures are simulated
// with programs of the same name earlier on PATH; the successful run is the
// README's Quick start transcript (docs-commands.test.ts).

let sandbox: Sandbox;
let bin: string;
beforeEach(() => {
  sandbox = createSandbox();
  bin = join(sandbox.dir, 'bin');
  mkdirSync(bin);
});
afterEach(() => sandbox.cleanup());

const which = (name: string) => execFileSync('bash', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();

function shim(name: string, body: string): void {
  writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
  chmodSync(join(bin, name), 0o755);
}

function demo() {
  const demoDir = join(sandbox.dir, 'demo');
  const result = spawnSync('bash', [join(repoRoot, 'scripts', 'demo.sh'), demoDir], {
    cwd: sandbox.dir,
    encoding: 'utf8',
    env: definedOnly({ ...sandbox.env, PATH: `${bin}:${process.env.PATH ?? ''}` }),
    timeout: 60_000,
  });
  return { ...result, demoDir };
}

const GYP_FAILURE = [
  'packages/dev-server/node_modules/better-sqlite3: Running install script, failed in 2.1s',
  'prebuild-install warn install No prebuilt binaries found (target=20.19.0 runtime=node arch=x64 libc= platform=linux)',
  'gyp ERR! find Python Python is not set from command line or npm configuration',
  'gyp ERR! stack Error: Could not find any Python installation to use',
  ' ELIFECYCLE  Command failed with exit code 1.',
].join('\n');

describe('scripts/demo.sh when a setup step fails', () => {
  it('a failed better-sqlite3 build: names the install, shows its output, says how to get a build or a prebuilt binary', () => {
    const pnpm = which('pnpm');
    shim('pnpm', `if [ "$1" = install ]; then cat <<'EOF'\n${GYP_FAILURE}\nEOF\nexit 1; fi\nexec '${pnpm}' "$@"`);
    const result = demo();
    expect(result.status, result.stderr).toBe(1);
    expect(result.stderr).toContain('demo: installing the workspace (`pnpm install --frozen-lockfile --reporter=append-only`) failed. The last lines of its output:');
    expect(result.stderr).toContain('  | gyp ERR! stack Error: Could not find any Python installation to use');
    expect(result.stderr).toContain('sudo apt-get install build-essential python3');
    expect(result.stderr).toContain('prebuilt binaries');
    expect(existsSync(result.demoDir)).toBe(false);
  });

  it('another install failure: its output and a plain "fix what it says"', () => {
    const pnpm = which('pnpm');
    shim('pnpm', `if [ "$1" = install ]; then echo ' ERR_PNPM_FETCH_404  GET https://registry.npmjs.org/x: Not Found - 404'; exit 1; fi\nexec '${pnpm}' "$@"`);
    const result = demo();
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('  |  ERR_PNPM_FETCH_404  GET https://registry.npmjs.org/x: Not Found - 404');
    expect(result.stderr).toContain('Fix what the output above says and run `bash scripts/demo.sh` again.');
    expect(result.stderr).not.toContain('build-essential');
  });

  it('better-sqlite3 installed but not loadable (built for another Node): the native-module advice', () => {
    const node = which('node');
    const pnpm = which('pnpm');
    shim('pnpm', `[ "$1" = install ] && exit 0\nexec '${pnpm}' "$@"`);
    shim(
      'node',
      `case "$2" in *better-sqlite3*) echo "Error: The module 'better_sqlite3.node' was compiled against a different Node.js version using NODE_MODULE_VERSION 115." >&2; exit 1;; esac\nexec '${node}' "$@"`,
    );
    const result = demo();
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("demo: loading better-sqlite3 (the embedded server's database) failed.");
    expect(result.stderr).toContain('NODE_MODULE_VERSION 115');
    expect(result.stderr).toContain('build-essential');
  });

  it('a Node.js older than 20.19: says which one it found and what is needed', () => {
    const node = which('node');
    shim('node', `case "$1" in --version) echo v18.20.4; exit 0;; -e) exit 1;; esac\nexec '${node}' "$@"`);
    const result = demo();
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('demo: Node.js 20.19 or newer is needed (found v18.20.4).');
  });
});
