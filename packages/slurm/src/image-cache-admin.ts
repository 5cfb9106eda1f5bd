/**
 * The image cache seen from the login node, for `pollinator executor warm`
 * and `pollinator executor images [--prune]`: pre-pull images (the same cache,
 * lock and records the backend's jobs use, so a job after a warm does not
 * pull), list what is cached (reference, digest, size, last use) and remove
 * images not used lately — never one a queued or running job needs (its
 * lease, `image-cache-leases.ts`).
 */
import { readdir, stat } from 'node:fs/promises';
import { BackendError, pickEnvironment } from '@pollinator/backend';
import { type ImageCache, type ImageRecord } from './image-cache';
import { acquireImageLock } from './image-cache-lock';
import { imagesInUse, readImageLeases } from './image-cache-leases';
import { createLocalRunner, type CommandRunner } from './runner';
import { createImageCache } from './slurm-backend';
import { BACKEND_NAME, DEFAULT_PASS_ENV, type SlurmBackendOptions } from './slurm-backend-options';

export interface CachedImage {
  /** File name in the image directory. */
  file: string;
  path: string;
  /** Unknown for a file pulled by an older version (no record beside it). */
  reference?: string;
  digest?: string;
  sizeBytes: number;
  pulledAt: string;
  /** The last job (or warm) that asked for it; `pulledAt` when none did since. */
  lastUsedAt: string;
  /** A queued or running job needs it: never pruned. */
  inUse: boolean;
}

export interface WarmedImage {
  image: string;
  path: string;
  /** False when it was cached already. */
  pulled: boolean;
  digest?: string;
  sizeBytes: number;
}

export interface SlurmImageCache {
  readonly imageDir: string;
  warm(image: string, options?: { rebuild?: boolean; onOutput?: (text: string) => void }): Promise<WarmedImage>;
  list(): Promise<CachedImage[]>;
  /** Removes images no job needs whose last use is older than `olderThanMs` (every unused one when not given). */
  prune(options?: { olderThanMs?: number }): Promise<{ removed: CachedImage[]; kept: CachedImage[] }>;
}

/** The cache the Slurm backend with `options` uses (the executor's `imageDir`, runtime and pull timeout). */
export function openSlurmImageCache(options: SlurmBackendOptions): SlurmImageCache {
  const runtime = options.runtime ?? 'singularity';
  if (runtime === 'none') throw new BackendError(BACKEND_NAME, 'POLLINATOR_SLURM_RUNTIME=none runs jobs without images: there is no image cache');
  const imageDir = options.imageDir;
  if (!imageDir) throw new BackendError(BACKEND_NAME, `The ${runtime} runtime needs an image cache directory (POLLINATOR_SLURM_IMAGE_DIR)`);
  const runner = options.runner ?? createLocalRunner();
  const commandEnv = () => pickEnvironment(options.passEnv ?? DEFAULT_PASS_ENV);
  const cache = createImageCache(options, runner, options.runtimeCommand ?? runtime, commandEnv);
  return {
    imageDir,
    warm: (image, warmOptions = {}) => warm(cache, image, warmOptions),
    list: async () => listImages(imageDir, cache, await queuedJobIds(runner, commandEnv())),
    prune: (pruneOptions = {}) => prune(imageDir, cache, runner, commandEnv, pruneOptions.olderThanMs),
  };
}

async function warm(cache: ImageCache, image: string, options: { rebuild?: boolean; onOutput?: (text: string) => void }): Promise<WarmedImage> {
  const { path, pulled } = await cache.ensureImage(image, { rebuild: options.rebuild ?? false, ...(options.onOutput ? { onOutput: options.onOutput } : {}) });
  const record = await cache.record(path);
  const digest = record?.digest ?? (await cache.digest(path));
  const { size } = await stat(path);
  return { image, path, pulled, ...(digest ? { digest } : {}), sizeBytes: size };
}

/** Job ids Slurm lists; refuses (throws) when squeue does not answer, since then nothing is known to be unused. */
async function queuedJobIds(runner: CommandRunner, env: Record<string, string>): Promise<Set<string>> {
  const result = await runner.run('squeue', ['--noheader', '--format=%A'], { env, timeoutMs: 60_000 });
  if (result.exitCode !== 0) {
    throw new BackendError(BACKEND_NAME, `squeue did not answer (exit status ${result.exitCode}: ${result.stderr.trim() || 'no output'}); which images jobs use is unknown`);
  }
  return new Set(result.stdout.split('\n').map((line) => line.trim()).filter(Boolean));
}

async function listImages(imageDir: string, cache: ImageCache, queued: ReadonlySet<string>): Promise<CachedImage[]> {
  const names = (await readdir(imageDir).catch(() => [] as string[])).filter((name) => name.endsWith('.sif')).sort();
  const used = imagesInUse(await readImageLeases(imageDir), queued);
  const images: CachedImage[] = [];
  for (const file of names) {
    const path = `${imageDir}/${file}`;
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) continue;
    const record: ImageRecord | undefined = await cache.record(path);
    const lastUse = await stat(`${path}.used`).catch(() => undefined);
    const pulledAt = record?.pulledAt ?? info.mtime.toISOString();
    images.push({
      file,
      path,
      ...(record?.reference ? { reference: record.reference } : {}),
      ...(record?.digest ? { digest: record.digest } : {}),
      sizeBytes: info.size,
      pulledAt,
      // A pull is a use; the `.used` file's mtime comes from the kernel's coarse clock and can read a few
      // milliseconds before the pull's own time, so the later of the two.
      lastUsedAt: lastUse && lastUse.mtime.getTime() > Date.parse(pulledAt) ? lastUse.mtime.toISOString() : pulledAt,
      inUse: used.has(file),
    });
  }
  return images;
}

async function prune(
  imageDir: string,
  cache: ImageCache,
  runner: CommandRunner,
  commandEnv: () => Record<string, string>,
  olderThanMs: number | undefined,
): Promise<{ removed: CachedImage[]; kept: CachedImage[] }> {
  const cutoff = olderThanMs === undefined ? Number.POSITIVE_INFINITY : Date.now() - olderThanMs;
  const removed: CachedImage[] = [];
  const kept: CachedImage[] = [];
  for (const image of await listImages(imageDir, cache, await queuedJobIds(runner, commandEnv()))) {
    if (image.inUse || Date.parse(image.lastUsedAt) > cutoff) {
      kept.push(image);
      continue;
    }
    // Under the image's lock (no pull of it meanwhile), and only if no job asked for it since the listing.
    const release = await acquireImageLock(`${image.path}.lock`, { staleAfterMs: 24 * 3_600_000 });
    try {
      const again = (await listImages(imageDir, cache, await queuedJobIds(runner, commandEnv()))).find((entry) => entry.file === image.file);
      if (!again || again.inUse || again.lastUsedAt !== image.lastUsedAt) {
        if (again) kept.push(again);
        continue;
      }
      await runner.remove(image.path);
      await runner.remove(`${image.path}.json`);
      await runner.remove(`${image.path}.used`);
      removed.push(image);
    } finally {
      await release();
    }
  }
  return { removed, kept };
}
