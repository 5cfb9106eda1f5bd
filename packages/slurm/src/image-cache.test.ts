import { describe, expect, it } from 'vitest';
import { BackendError } from '@pollinator/backend';
import { ImageCache, imageFileName, imageUri } from './image-cache';
import type { CommandRunner } from './runner';

/** A runner whose `pull` takes a while and whose files live in a Set. */
function fakeRunner(options: { fail?: boolean } = {}) {
  const files = new Set<string>();
  const pulls: string[][] = [];
  const runner: CommandRunner = {
    async run(command, args, runOptions) {
      // The digest of a pulled file (stat, sha256sum): not known to this fake.
      if (command !== 'apptainer' && command !== 'singularity') return { exitCode: 1, stdout: '', stderr: `${command}: not here` };
      pulls.push([...args]);
      runOptions?.onOutput?.('INFO:    Converting OCI blobs to SIF format\n');
      await new Promise((resolve) => setTimeout(resolve, 30));
      if (options.fail) return { exitCode: 255, stdout: '', stderr: 'FATAL:   While making image from oci registry: manifest unknown\n' };
      files.add(args[1]!);
      return { exitCode: 0, stdout: '', stderr: '' };
    },
    readFile: async () => undefined,
    writeFile: async () => undefined,
    appendFile: async () => undefined,
    exists: async (path) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return files.has(path);
    },
    mkdir: async () => undefined,
    rename: async (from, to) => {
      files.delete(from);
      files.add(to);
    },
    remove: async (path) => void files.delete(path),
  };
  return { runner, files, pulls };
}

describe('image references', () => {
  it('adds docker:// unless a scheme is given, and never forces docker.io', () => {
    expect(imageUri('python:3.12-slim')).toBe('docker://python:3.12-slim');
    expect(imageUri('ghcr.io/org/img:1')).toBe('docker://ghcr.io/org/img:1');
    expect(imageUri('oras://registry/x:1')).toBe('oras://registry/x:1');
  });
  it('names cache files after the reference plus a hash (no collisions, no slashes)', () => {
    expect(imageFileName('python:3.12-slim')).toMatch(/^python_3.12-slim-[0-9a-f]{12}\.sif$/);
    expect(imageFileName('a/b:c')).not.toBe(imageFileName('a_b:c'));
  });
});

describe('ImageCache', () => {
  it('pulls once for jobs that ask at the same moment; the others are told they wait', async () => {
    const { runner, pulls } = fakeRunner();
    const cache = new ImageCache({ runner, imageDir: '/images', runtimeCommand: 'apptainer', env: () => ({}) });
    const outputs: string[][] = [[], [], []];
    const paths = await Promise.all(outputs.map((output) => cache.ensure('busybox', { rebuild: false, onOutput: (text) => output.push(text) })));
    expect(new Set(paths).size).toBe(1);
    expect(pulls).toHaveLength(1);
    expect(pulls[0]).toEqual(['pull', expect.stringMatching(/^\/images\/busybox-[0-9a-f]{12}\.sif\.pull-[0-9a-f]{8}$/), 'docker://busybox']);
    expect(outputs[0]!.join('')).toMatch(/^\[pollinator\] Pulling docker:\/\/busybox into .*\nINFO: {4}Converting OCI blobs to SIF format\n\[pollinator\] Image ready: /);
    expect(outputs[1]).toEqual(['[pollinator] Waiting for the pull of docker://busybox started by another job\n']);
    // Cached: no pull, no output.
    const quiet: string[] = [];
    await cache.ensure('busybox', { rebuild: false, onOutput: (text) => quiet.push(text) });
    expect(pulls).toHaveLength(1);
    expect(quiet).toEqual([]);
    // rebuild really pulls again.
    await cache.ensure('busybox', { rebuild: true });
    expect(pulls).toHaveLength(2);
  });

  it('a failed pull names the image and quotes the runtime, and leaves no file behind', async () => {
    const { runner, files } = fakeRunner({ fail: true });
    const cache = new ImageCache({ runner, imageDir: '/images', runtimeCommand: 'singularity', env: () => ({}) });
    const error = (await cache.ensure('nope:1', { rebuild: false }).catch((caught: unknown) => caught)) as Error;
    expect(BackendError.isInstance(error)).toBe(true);
    expect(error.message).toBe(
      'Failed to pull container image nope:1 (singularity pull docker://nope:1: exit status 255): FATAL:   While making image from oci registry: manifest unknown',
    );
    expect(files.size).toBe(0);
  });

  it('refuses an empty image', async () => {
    const cache = new ImageCache({ runner: fakeRunner().runner, imageDir: '/images', runtimeCommand: 'singularity', env: () => ({}) });
    await expect(cache.ensure('', { rebuild: false })).rejects.toThrow(/No container image given/);
  });
});

describe('ImageCache.digest', () => {
  /** A runner that answers `stat` and `sha256sum` as coreutils do, counting the hashes. */
  function hashingRunner(files: Map<string, { inode: number; hex: string }>) {
    const hashed: string[] = [];
    const runner: CommandRunner = {
      async run(command, args) {
        const file = files.get(args.at(-1)!);
        if (!file) return { exitCode: 1, stdout: '', stderr: `${command}: cannot open '${args.at(-1)}': No such file or directory\n` };
        if (command === 'stat') return { exitCode: 0, stdout: `${file.inode}:1024:1700000000\n`, stderr: '' };
        hashed.push(args.at(-1)!);
        return { exitCode: 0, stdout: `${file.hex}  ${args.at(-1)}\n`, stderr: '' };
      },
      readFile: async () => undefined,
      writeFile: async () => undefined,
      appendFile: async () => undefined,
      exists: async () => true,
      mkdir: async () => undefined,
      rename: async () => undefined,
      remove: async () => undefined,
    };
    return { runner, hashed };
  }

  it('is sha256:<hex> of the SIF file, hashed once per file and again once it was replaced', async () => {
    const files = new Map([['/images/busybox.sif', { inode: 7, hex: 'ab'.repeat(32) }]]);
    const { runner, hashed } = hashingRunner(files);
    const cache = new ImageCache({ runner, imageDir: '/images', runtimeCommand: 'apptainer', env: () => ({}) });
    expect(await cache.digest('/images/busybox.sif')).toBe(`sha256:${'ab'.repeat(32)}`);
    expect(await cache.digest('/images/busybox.sif')).toBe(`sha256:${'ab'.repeat(32)}`);
    expect(hashed).toHaveLength(1);
    // A rebuild renames a new file into place: another inode.
    files.set('/images/busybox.sif', { inode: 8, hex: 'cd'.repeat(32) });
    expect(await cache.digest('/images/busybox.sif')).toBe(`sha256:${'cd'.repeat(32)}`);
    expect(hashed).toHaveLength(2);
  });

  it('is undefined when the file cannot be read', async () => {
    const { runner } = hashingRunner(new Map());
    const cache = new ImageCache({ runner, imageDir: '/images', runtimeCommand: 'apptainer', env: () => ({}) });
    expect(await cache.digest('/images/missing.sif')).toBeUndefined();
  });
});
