/**
 * Docker image → SIF conversion into a cache directory shared by the
 * executor's jobs. Keyed by the image's digest when the reference pins one
 * (`name@sha256:…`: every spelling of it shares one file), else by the
 * reference: Singularity/Apptainer cannot resolve a tag to a registry digest
 * without pulling, so the digest of an unpinned image is the sha256 of the SIF
 * it pulled (recorded beside it, and on each job's process).
 *
 * One pull per image: jobs of this executor that ask at the same time share
 * one pull (in memory), other executors on the node wait on a lock file
 * (`image-cache-lock.ts`). A pull goes into a temporary file renamed into place
 * (atomic: a job never sees half a SIF; `rebuild` replaces the file while jobs
 * still running keep the old one open), is killed after `pullTimeoutMs`, and a
 * failed pull throws a `BackendError` that names the image and quotes the
 * runtime's own error (the job closes as could-not-start: image).
 */
import { createHash, randomBytes } from 'node:crypto';
import { BackendError } from '@pollinator/backend';
import type { CommandRunner } from './runner';

export interface ImageCacheOptions {
  runner: CommandRunner;
  /** Directory of the SIF files (on a filesystem the compute nodes see). */
  imageDir: string;
  /** `singularity`, `apptainer` or a path to either. */
  runtimeCommand: string;
  /** Environment of the pull command. */
  env: () => Record<string, string>;
  /** Kill a pull after this long (default 30 minutes). */
  pullTimeoutMs?: number;
  /**
   * Takes the cross-process lock of one image (a lock file, see
   * `acquireImageLock`); without it only this process's jobs are serialized.
   */
  lock?: (path: string, onWait: (holder: string) => void) => Promise<() => Promise<void>>;
}

/** What `ensureImage` did. */
export interface EnsuredImage {
  path: string;
  /** Whether this call pulled it (false: it was in the cache, or another job's pull made it). */
  pulled: boolean;
}

/** Written beside each SIF (`<file>.json`): what `executor images` lists. */
export interface ImageRecord {
  reference: string;
  uri: string;
  /** `sha256:<hex>` of the SIF file. */
  digest?: string;
  /** The digest the reference pins (`@sha256:…`), when it pins one. */
  pinnedDigest?: string;
  /** `stat` identity of the file the digest was taken of (device:inode:size:mtime): the digest holds while it matches. */
  fileIdentity?: string;
  pulledAt: string;
}

export const DEFAULT_PULL_TIMEOUT_MS = 30 * 60_000;
const PINNED_DIGEST = /@(sha256):([0-9a-f]{64})$/;

export interface EnsureImageOptions {
  rebuild: boolean;
  /** Progress and pull output, as text meant for the job's log. */
  onOutput?: (text: string) => void;
}

/** `python:3.12` → `docker://python:3.12`; references with a scheme (`oras://`, `library://`, `docker://`) stay as they are. */
export function imageUri(image: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//.test(image) ? image : `docker://${image}`;
}

/** The digest a reference pins (`python@sha256:…` → `sha256:…`), else undefined. */
export function pinnedDigest(image: string): string | undefined {
  const match = PINNED_DIGEST.exec(image.trim());
  return match ? `${match[1]}:${match[2]}` : undefined;
}

/**
 * Cache file name for an image: `sha256-<hex>.sif` for a reference that pins a
 * digest (whatever registry spelling it uses), else a readable part plus a hash
 * of the full reference (no collisions, no `/`).
 */
export function imageFileName(image: string): string {
  const pinned = pinnedDigest(image);
  if (pinned) return `${pinned.replace(':', '-')}.sif`;
  const readable = image.replace(/^[a-z][a-z0-9+.-]*:\/\//, '').replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
  const hash = createHash('sha256').update(image).digest('hex').slice(0, 12);
  return `${readable}-${hash}.sif`;
}

/** `sha256sum`'s line: the hex digest first. */
const SHA256SUM_LINE = /^([0-9a-f]{64})\s/;

export class ImageCache {
  readonly #options: ImageCacheOptions;
  /** Digests by file identity (device, inode, size, mtime): a SIF is hashed once, again only when it was replaced. */
  readonly #digests = new Map<string, string>();
  /** Per cache file: the check-and-pull under way, so concurrent jobs share it. */
  readonly #pulls = new Map<string, { done: Promise<string>; pulling: boolean; onPull: (() => void)[] }>();

  constructor(options: ImageCacheOptions) {
    this.#options = options;
  }

  /** Path of the SIF for `image`, pulling it first when it is not cached (or when `rebuild`). */
  async ensure(image: string, options: EnsureImageOptions): Promise<string> {
    return (await this.ensureImage(image, options)).path;
  }

  /** `ensure`, saying whether this call pulled. Every call counts as a use of the image (its `.used` time). */
  async ensureImage(image: string, options: EnsureImageOptions): Promise<EnsuredImage> {
    if (image.trim() === '') throw new BackendError('slurm', 'No container image given (kwargs "docker-image" is empty)');
    const path = `${this.#options.imageDir}/${imageFileName(image)}`;
    const running = this.#pulls.get(path);
    if (running) {
      // A check or pull of this image is already under way (maybe with rebuild): its result is fresh.
      const notice = () => options.onOutput?.(`[pollinator] Waiting for the pull of ${imageUri(image)} started by another job\n`);
      if (running.pulling) notice();
      else running.onPull.push(notice);
      await running.done;
      return { path, pulled: false };
    }
    // Registered before the first await, so a job arriving a moment later joins this one.
    const entry = { done: Promise.resolve(''), pulling: false, onPull: [] as (() => void)[] };
    let pulled = false;
    entry.done = (async () => {
      if (!options.rebuild && (await this.#options.runner.exists(path))) return path;
      entry.pulling = true;
      for (const notify of entry.onPull) notify();
      pulled = await this.#pullLocked(image, path, options);
      return path;
    })().finally(() => this.#pulls.delete(path));
    this.#pulls.set(path, entry);
    await entry.done;
    await this.#options.runner.writeFile(`${path}.used`, `${new Date().toISOString()}\n`).catch(() => undefined);
    return { path, pulled };
  }

  /** The pull under the image's lock file; false when another executor pulled it while we waited. */
  async #pullLocked(image: string, path: string, options: EnsureImageOptions): Promise<boolean> {
    const { lock, runner } = this.#options;
    if (!lock) {
      await this.#pull(image, path, options);
      return true;
    }
    await runner.mkdir(this.#options.imageDir);
    const startedWaiting = Date.now();
    const release = await lock(`${path}.lock`, (holder) =>
      options.onOutput?.(`[pollinator] Waiting for the pull of ${imageUri(image)} by another executor (${holder})\n`),
    );
    try {
      // Pulled by the holder we waited for: use its file (a rebuild asked before that pull finished is served by it).
      if (await this.#freshSince(path, options.rebuild ? startedWaiting : undefined)) return false;
      await this.#pull(image, path, options);
      return true;
    } finally {
      await release();
    }
  }

  /** Whether `path` exists (and, given `since`, was pulled after it). */
  async #freshSince(path: string, since: number | undefined): Promise<boolean> {
    if (!(await this.#options.runner.exists(path))) return false;
    if (since === undefined) return true;
    const record = await this.record(path);
    return record !== undefined && Date.parse(record.pulledAt) >= since;
  }

  /** The record written beside `path` when it was pulled; undefined for a file pulled by an older version. */
  async record(path: string): Promise<ImageRecord | undefined> {
    const data = await this.#options.runner.readFile(`${path}.json`, 0, 64 * 1024).catch(() => undefined);
    if (!data) return undefined;
    try {
      return JSON.parse(data.toString('utf8')) as ImageRecord;
    } catch {
      return undefined;
    }
  }

  /**
   * `sha256:<hex>` of the SIF file at `path`, hashed where the runner runs
   * (`sha256sum`); undefined when it cannot be read. The image's provenance:
   * the exact file the job ran, whatever the tag points to later.
   */
  async digest(path: string): Promise<string | undefined> {
    const { runner } = this.#options;
    const identity = await this.#identity(path);
    const known = identity ? this.#digests.get(identity) : undefined;
    if (known) return known;
    // Pulled by another process (an executor before a restart, `executor warm`): its record says, while the file is the same.
    const record = identity ? await this.record(path) : undefined;
    if (record?.digest && record.fileIdentity === identity) {
      this.#digests.set(identity!, record.digest);
      return record.digest;
    }
    const sum = await runner.run('sha256sum', [path], { env: this.#options.env(), timeoutMs: 30 * 60_000 });
    const hex = sum.exitCode === 0 ? SHA256SUM_LINE.exec(sum.stdout)?.[1] : undefined;
    if (!hex) return undefined;
    if (identity) this.#digests.set(identity, `sha256:${hex}`);
    return `sha256:${hex}`;
  }

  /** Device, inode, size, mtime: the same after the rename of a pull, another after a rebuild replaced the file. */
  async #identity(path: string): Promise<string | undefined> {
    const stat = await this.#options.runner.run('stat', ['-L', '-c', '%d:%i:%s:%Y', path], { env: this.#options.env(), timeoutMs: 60_000 });
    return stat.exitCode === 0 ? stat.stdout.trim() : undefined;
  }

  async #pull(image: string, path: string, options: EnsureImageOptions): Promise<string> {
    const { runner, runtimeCommand } = this.#options;
    const uri = imageUri(image);
    const temporary = `${path}.pull-${randomBytes(4).toString('hex')}`;
    const started = Date.now();
    options.onOutput?.(`[pollinator] ${options.rebuild ? 'Rebuilding' : 'Pulling'} ${uri} into ${path}\n`);
    await runner.mkdir(this.#options.imageDir);
    const timeoutMs = this.#options.pullTimeoutMs ?? DEFAULT_PULL_TIMEOUT_MS;
    const result = await runner.run(runtimeCommand, ['pull', temporary, uri], {
      env: this.#options.env(),
      timeoutMs,
      ...(options.onOutput ? { onOutput: options.onOutput } : {}),
    });
    if (Date.now() - started >= timeoutMs) {
      await runner.remove(temporary).catch(() => undefined);
      throw new BackendError(
        'slurm',
        `Pulling container image ${image} did not finish within ${formatTimeout(timeoutMs)} and was stopped (${runtimeCommand} pull ${uri}); ` +
          'raise POLLINATOR_SLURM_PULL_TIMEOUT, or pre-pull it on the login node with `pollinator executor warm`',
      );
    }
    if (result.exitCode !== 0 || !(await runner.exists(temporary))) {
      await runner.remove(temporary).catch(() => undefined);
      const detail = lastLines(`${result.stderr}\n${result.stdout}`, 5);
      throw new BackendError(
        'slurm',
        `Failed to pull container image ${image} (${runtimeCommand} pull ${uri}: exit status ${result.exitCode})${detail ? `: ${detail}` : ''}`,
      );
    }
    // Hashed before the rename, while nothing else can replace it: the record and the file agree.
    const digest = await this.digest(temporary);
    const fileIdentity = await this.#identity(temporary);
    const pinned = pinnedDigest(image);
    const record: ImageRecord = {
      reference: image,
      uri,
      ...(digest ? { digest } : {}),
      ...(pinned ? { pinnedDigest: pinned } : {}),
      ...(fileIdentity ? { fileIdentity } : {}),
      pulledAt: new Date().toISOString(),
    };
    await runner.rename(temporary, path);
    await runner.writeFile(`${path}.json.tmp`, `${JSON.stringify(record)}\n`);
    await runner.rename(`${path}.json.tmp`, `${path}.json`);
    options.onOutput?.(`[pollinator] Image ready: ${path} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    return path;
  }
}

function formatTimeout(milliseconds: number): string {
  if (milliseconds < 120_000) return `${Number((milliseconds / 1000).toFixed(1))} s`;
  return `${Math.round(milliseconds / 60_000)} min`;
}

function lastLines(text: string, count: number): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .slice(-count)
    .join(' / ');
}
