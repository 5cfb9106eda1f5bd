import { describe, expect, it } from 'vitest';
import { BackendError } from '@pollinator/backend';
import { ImageCache, imageFileName, imageUri } from './image-cache';
import type { CommandRunner } from './runner';

/** A runner whose `pull` takes a while and whose files live in a Set. */
function fakeRunner(options: { fail?: boolean } = {}) {
  const files = new Set<string>();
  const pulls: string[][] = [];
  const runner: CommandRunner = {
    async run(_command, args, runOptions) {
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
