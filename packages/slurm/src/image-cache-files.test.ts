/**
 * The image cache on real files with a real (scripted) runtime program: one
 * pull for concurrent jobs and across executors (the lock file), a lock left
 * by a dead executor, the pull timeout, rebuild replacing the file while a job
 * still reads the old one, and the record beside each SIF.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BackendError } from '@pollinator/backend';
import { ImageCache, imageFileName, pinnedDigest } from './image-cache';
import { acquireImageLock } from './image-cache-lock';
import { createLocalRunner, type CommandRunner } from './runner';

/**
 * A runtime whose `pull OUT URI` logs the call, waits while `<root>/hold`
 * exists (so a test decides when the pull ends, without timing), then writes
 * the reference and a counter into OUT.
 */
function scriptedRuntime() {
  const root = mkdtempSync(join(tmpdir(), 'pollinator-image-cache-'));
  const program = join(root, 'runtime');
  writeFileSync(
    program,
    `#!/bin/sh
[ "$1" = pull ] || exit 2
echo "pull $3" >> "${root}/pulls.log"
echo "INFO:    Converting OCI blobs to SIF format"
while [ -e "${root}/hold" ]; do sleep 0.05; done
case "$3" in *never*) sleep 60;; *missing*) echo "FATAL:   manifest unknown" >&2; exit 255;; esac
n=$(wc -l < "${root}/pulls.log")
printf 'SIF of %s, pull %s\\n' "$3" "$n" > "$2"
`,
  );
  chmodSync(program, 0o755);
  const pulls = () => (existsSync(join(root, 'pulls.log')) ? readFileSync(join(root, 'pulls.log'), 'utf8').trim().split('\n') : []);
  const cache = (options: { pullTimeoutMs?: number; lock?: boolean; runner?: CommandRunner } = {}) =>
    new ImageCache({
      runner: options.runner ?? createLocalRunner(),
      imageDir: join(root, 'images'),
      runtimeCommand: program,
      env: () => ({ PATH: process.env.PATH ?? '/usr/bin:/bin' }),
      ...(options.pullTimeoutMs === undefined ? {} : { pullTimeoutMs: options.pullTimeoutMs }),
      ...(options.lock === false ? {} : { lock: (path: string, onWait: (holder: string) => void) => acquireImageLock(path, { staleAfterMs: 600_000, onWait, pollMs: 20 }) }),
    });
  return { root, program, pulls, cache, hold: () => writeFileSync(join(root, 'hold'), ''), release: () => rmSync(join(root, 'hold')) };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('image cache on real files', () => {
  it('two jobs of the same image at once: one pull, both get the same SIF, and its record says what it is', async () => {
    const runtime = scriptedRuntime();
    const cache = runtime.cache();
    const [first, second] = await Promise.all([cache.ensureImage('busybox:1.36', { rebuild: false }), cache.ensureImage('busybox:1.36', { rebuild: false })]);
    expect(runtime.pulls()).toEqual(['pull docker://busybox:1.36']);
    expect(first.path).toBe(second.path);
    expect([first.pulled, second.pulled]).toEqual([true, false]);
    expect(readFileSync(first.path, 'utf8')).toBe('SIF of docker://busybox:1.36, pull 1\n');
    const record = await cache.record(first.path);
    expect(record).toMatchObject({ reference: 'busybox:1.36', uri: 'docker://busybox:1.36', digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
    // No temporary file or lock left behind; the use is recorded.
    expect(readdirSync(join(runtime.root, 'images')).sort()).toEqual([imageFileName('busybox:1.36'), `${imageFileName('busybox:1.36')}.json`, `${imageFileName('busybox:1.36')}.used`]);
    // Cached: the next job does not pull.
    expect((await cache.ensureImage('busybox:1.36', { rebuild: false })).pulled).toBe(false);
    expect(runtime.pulls()).toHaveLength(1);
  });

  it('two executors (two caches, one directory): the second waits on the lock file and uses the first one\'s pull', async () => {
    const runtime = scriptedRuntime();
    runtime.hold();
    const first = runtime.cache().ensureImage('alpine:3', { rebuild: false });
    await until(() => runtime.pulls().length === 1);
    const output: string[] = [];
    const second = runtime.cache().ensureImage('alpine:3', { rebuild: false, onOutput: (text) => output.push(text) });
    await until(() => output.some((line) => line.includes('by another executor')));
    expect(output.join('')).toContain(`Waiting for the pull of docker://alpine:3 by another executor (process ${process.pid} on ${hostname()})`);
    runtime.release();
    const [one, two] = await Promise.all([first, second]);
    expect([one.pulled, two.pulled]).toEqual([true, false]);
    expect(runtime.pulls()).toHaveLength(1);
  });

  it('a lock held by another live process is waited for; once that process is gone, it is taken over', async () => {
    const runtime = scriptedRuntime();
    const cache = runtime.cache();
    await cache.ensureImage('other:1', { rebuild: false }); // creates the directory
    const path = join(runtime.root, 'images', imageFileName('alpine:3'));
    // Another executor process (here a sleeping child) that took the lock and then hangs.
    const holder = spawn('sleep', ['600'], { stdio: 'ignore' });
    writeFileSync(`${path}.lock`, `${JSON.stringify({ pid: holder.pid, host: hostname(), since: Date.now() })}\n`);
    const output: string[] = [];
    const waiting = cache.ensureImage('alpine:3', { rebuild: false, onOutput: (text) => output.push(text) });
    await until(() => output.some((line) => line.includes('by another executor')));
    expect(output.join('')).toContain(`by another executor (process ${holder.pid} on ${hostname()})`);
    expect(runtime.pulls()).toEqual(['pull docker://other:1']);
    const exited = new Promise((resolve) => holder.once('exit', resolve));
    holder.kill('SIGKILL');
    await exited;
    expect(await waiting).toMatchObject({ pulled: true });
    expect(runtime.pulls()).toEqual(['pull docker://other:1', 'pull docker://alpine:3']);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('a rebuild asked while another executor rebuilds is served by that pull', async () => {
    const runtime = scriptedRuntime();
    await runtime.cache().ensureImage('busybox', { rebuild: false });
    runtime.hold();
    const first = runtime.cache().ensureImage('busybox', { rebuild: true });
    await until(() => runtime.pulls().length === 2);
    const output: string[] = [];
    const second = runtime.cache().ensureImage('busybox', { rebuild: true, onOutput: (text) => output.push(text) });
    await until(() => output.some((line) => line.includes('by another executor')));
    runtime.release();
    expect([(await first).pulled, (await second).pulled]).toEqual([true, false]);
    expect(runtime.pulls()).toHaveLength(2);
  });

  it('a lock left by an executor that died is taken over', async () => {
    const runtime = scriptedRuntime();
    const path = join(runtime.root, 'images', imageFileName('alpine:3'));
    const cache = runtime.cache();
    await cache.ensureImage('other:1', { rebuild: false }); // creates the directory
    // A pid that is not running on this host (pid_max is far below it).
    writeFileSync(`${path}.lock`, `${JSON.stringify({ pid: 2 ** 30, host: hostname(), since: Date.now() })}\n`);
    expect((await cache.ensureImage('alpine:3', { rebuild: false })).pulled).toBe(true);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('the digest of a SIF another process pulled comes from its record while the file is the same; a replaced file is hashed', async () => {
    const runtime = scriptedRuntime();
    const { path } = await runtime.cache().ensureImage('busybox', { rebuild: false });
    const recorded = (await runtime.cache().record(path))?.digest;
    const local = createLocalRunner();
    const commands: string[] = [];
    const counting: CommandRunner = { ...local, run: (command, args, options) => (commands.push(command), local.run(command, args, options)) };
    const later = runtime.cache({ runner: counting }); // an executor started afterwards
    expect(await later.digest(path)).toBe(recorded);
    expect(commands).not.toContain('sha256sum');
    // Replaced behind the record's back (not by a pull): the record no longer holds, the file is hashed.
    writeFileSync(`${path}.new`, 'another SIF\n');
    renameSync(`${path}.new`, path);
    const digest = await later.digest(path);
    expect(commands).toContain('sha256sum');
    expect(digest).toBe(`sha256:${createHash('sha256').update('another SIF\n').digest('hex')}`);
  });

  it('a pull that takes longer than the timeout is stopped: the error names the image and says what to do, nothing is left', async () => {
    const runtime = scriptedRuntime();
    const cache = runtime.cache({ pullTimeoutMs: 300 });
    const error = (await cache.ensure('never:1', { rebuild: false }).catch((caught: unknown) => caught)) as Error;
    expect(BackendError.isInstance(error)).toBe(true);
    expect(error.message).toBe(
      `Pulling container image never:1 did not finish within 0.3 s and was stopped (${runtime.program} pull docker://never:1); ` +
        'raise POLLINATOR_SLURM_PULL_TIMEOUT, or pre-pull it on the login node with `pollinator executor warm`',
    );
    expect(readdirSync(join(runtime.root, 'images'))).toEqual([]);
  });

  it('a failed pull quotes the runtime and leaves no file', async () => {
    const runtime = scriptedRuntime();
    const error = (await runtime.cache().ensure('missing:1', { rebuild: false }).catch((caught: unknown) => caught)) as Error;
    expect(error.message).toMatch(/^Failed to pull container image missing:1 \(.* pull docker:\/\/missing:1: exit status 255\): FATAL: {3}manifest unknown( \/ .*)?$/);
    expect(readdirSync(join(runtime.root, 'images'))).toEqual([]);
  });

  it('rebuild pulls again and replaces the file atomically: a job still reading the old SIF keeps it', async () => {
    const runtime = scriptedRuntime();
    const cache = runtime.cache();
    const { path } = await cache.ensureImage('busybox', { rebuild: false });
    const before = await cache.record(path);
    const running = openSync(path, 'r'); // a job that has the old image open
    const rebuilt = await cache.ensureImage('busybox', { rebuild: true });
    expect(rebuilt).toEqual({ path, pulled: true });
    expect(runtime.pulls()).toHaveLength(2);
    expect(readFileSync(path, 'utf8')).toBe('SIF of docker://busybox, pull 2\n');
    const old = Buffer.alloc(64);
    expect(old.subarray(0, readSync(running, old, 0, 64, 0)).toString()).toBe('SIF of docker://busybox, pull 1\n');
    const after = await cache.record(path);
    expect(after?.digest).not.toBe(before?.digest);
    expect(await cache.digest(path)).toBe(after?.digest);
  });
});

describe('digest keys', () => {
  const hex = 'a'.repeat(64);
  it('a reference that pins a digest is keyed by it, whatever registry spelling it uses', () => {
    expect(pinnedDigest(`python@sha256:${hex}`)).toBe(`sha256:${hex}`);
    expect(pinnedDigest('python:3.12')).toBeUndefined();
    expect(imageFileName(`python@sha256:${hex}`)).toBe(`sha256-${hex}.sif`);
    expect(imageFileName(`docker.io/library/python:3.12@sha256:${hex}`)).toBe(imageFileName(`python@sha256:${hex}`));
  });

  it('pinned spellings of one digest share one pull', async () => {
    const runtime = scriptedRuntime();
    const cache = runtime.cache({ lock: false });
    await cache.ensure(`busybox@sha256:${hex}`, { rebuild: false });
    expect((await cache.ensureImage(`docker.io/library/busybox@sha256:${hex}`, { rebuild: false })).pulled).toBe(false);
    expect(runtime.pulls()).toHaveLength(1);
  });
});
