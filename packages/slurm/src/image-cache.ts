/**
 * Docker image → SIF conversion into a cache directory keyed by the image
 * reference. One pull per image even when several jobs ask at the same time
 * (they wait for the same pull); `rebuild` really pulls again (into a temporary
 * file, then an atomic rename, so jobs still running on the old file are not
 * disturbed); pull output streams to the caller (the job's log) and a failed
 * pull throws a `BackendError` that names the image and quotes the runtime's
 * own error.
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
}

export interface EnsureImageOptions {
  rebuild: boolean;
  /** Progress and pull output, as text meant for the job's log. */
  onOutput?: (text: string) => void;
}

/** `python:3.12` → `docker://python:3.12`; references with a scheme (`oras://`, `library://`, `docker://`) stay as they are. */
export function imageUri(image: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//.test(image) ? image : `docker://${image}`;
}

/** Cache file name for an image: readable part plus a hash of the full reference (no collisions, no `/`). */
export function imageFileName(image: string): string {
  const readable = image.replace(/^[a-z][a-z0-9+.-]*:\/\//, '').replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
  const hash = createHash('sha256').update(image).digest('hex').slice(0, 12);
  return `${readable}-${hash}.sif`;
}

/** `sha256sum`'s line: the hex digest first. */
const SHA256SUM_LINE = /^([0-9a-f]{64})\s/;

export class ImageCache {
  readonly #options: ImageCacheOptions;
  /** Digests by file identity (`path`, inode, size, mtime): a SIF is hashed once, again only when it was replaced. */
  readonly #digests = new Map<string, string>();
  /** Per cache file: the check-and-pull under way, so concurrent jobs share it. */
  readonly #pulls = new Map<string, { done: Promise<string>; pulling: boolean; onPull: (() => void)[] }>();

  constructor(options: ImageCacheOptions) {
    this.#options = options;
  }

  /** Path of the SIF for `image`, pulling it first when it is not cached (or when `rebuild`). */
  async ensure(image: string, options: EnsureImageOptions): Promise<string> {
    if (image.trim() === '') throw new BackendError('slurm', 'No container image given (kwargs "docker-image" is empty)');
    const path = `${this.#options.imageDir}/${imageFileName(image)}`;
    const running = this.#pulls.get(path);
    if (running) {
      // A check or pull of this image is already under way (maybe with rebuild): its result is fresh.
      const notice = () => options.onOutput?.(`[pollinator] Waiting for the pull of ${imageUri(image)} started by another job\n`);
      if (running.pulling) notice();
      else running.onPull.push(notice);
      return running.done;
    }
    // Registered before the first await, so a job arriving a moment later joins this one.
    const entry = { done: Promise.resolve(''), pulling: false, onPull: [] as (() => void)[] };
    entry.done = (async () => {
      if (!options.rebuild && (await this.#options.runner.exists(path))) return path;
      entry.pulling = true;
      for (const notify of entry.onPull) notify();
      return this.#pull(image, path, options);
    })().finally(() => this.#pulls.delete(path));
    this.#pulls.set(path, entry);
    return entry.done;
  }

  /**
   * `sha256:<hex>` of the SIF file at `path`, hashed where the runner runs
   * (`sha256sum`); undefined when it cannot be read. The image's provenance:
   * the exact file the job ran, whatever the tag points to later.
   */
  async digest(path: string): Promise<string | undefined> {
    const { runner } = this.#options;
    const env = this.#options.env();
    const stat = await runner.run('stat', ['-L', '-c', '%i:%s:%Y', path], { env, timeoutMs: 60_000 });
    const identity = stat.exitCode === 0 ? `${path}\0${stat.stdout.trim()}` : undefined;
    const known = identity ? this.#digests.get(identity) : undefined;
    if (known) return known;
    const sum = await runner.run('sha256sum', [path], { env, timeoutMs: 30 * 60_000 });
    const hex = sum.exitCode === 0 ? SHA256SUM_LINE.exec(sum.stdout)?.[1] : undefined;
    if (!hex) return undefined;
    if (identity) this.#digests.set(identity, `sha256:${hex}`);
    return `sha256:${hex}`;
  }

  async #pull(image: string, path: string, options: EnsureImageOptions): Promise<string> {
    const { runner, runtimeCommand } = this.#options;
    const uri = imageUri(image);
    const temporary = `${path}.pull-${randomBytes(4).toString('hex')}`;
    const started = Date.now();
    options.onOutput?.(`[pollinator] ${options.rebuild ? 'Rebuilding' : 'Pulling'} ${uri} into ${path}\n`);
    await runner.mkdir(this.#options.imageDir);
    const result = await runner.run(runtimeCommand, ['pull', temporary, uri], {
      env: this.#options.env(),
      timeoutMs: this.#options.pullTimeoutMs ?? 30 * 60_000,
      ...(options.onOutput ? { onOutput: options.onOutput } : {}),
    });
    if (result.exitCode !== 0 || !(await runner.exists(temporary))) {
      await runner.remove(temporary).catch(() => undefined);
      const detail = lastLines(`${result.stderr}\n${result.stdout}`, 5);
      throw new BackendError(
        'slurm',
        `Failed to pull container image ${image} (${runtimeCommand} pull ${uri}: exit status ${result.exitCode})${detail ? `: ${detail}` : ''}`,
      );
    }
    await runner.rename(temporary, path);
    options.onOutput?.(`[pollinator] Image ready: ${path} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    return path;
  }
}

function lastLines(text: string, count: number): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .slice(-count)
    .join(' / ');
}
