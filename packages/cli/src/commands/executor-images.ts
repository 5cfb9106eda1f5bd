import type { CachedImage } from '@pollinator/slurm';
import type { CommandContext } from '../context';
import { usageError } from '../errors';
import { formatBytes, table } from '../render/format';
import { ago } from '../runtime/lookups';
import { imageCacheError, openExecutorImageCache, type ImageCacheCommandOptions } from './executor-image-cache';

export interface ExecutorImagesOptions extends ImageCacheCommandOptions {
  prune?: boolean;
  olderThan?: string;
}

/** `30d`, `12h`, `90m`, `45s` → milliseconds. */
export function parseAge(text: string): number {
  const match = /^(\d+)\s*(d|h|m|s)$/.exec(text.trim());
  if (!match) throw usageError(`--older-than takes an age such as 30d, 12h, 90m or 45s, got "${text}"`);
  return Number(match[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 }[match[2] as 'd' | 'h' | 'm' | 's'];
}

/**
 * `pollinator executor images`: the Slurm executor's cached images (reference,
 * digest, size, last use, whether a queued or running job needs one).
 * `--prune` removes those no job needs — all of them, or with `--older-than`
 * only those not used for that long.
 */
export async function run(context: CommandContext, options: ExecutorImagesOptions): Promise<number> {
  const { output } = context;
  if (options.olderThan !== undefined && !options.prune) throw usageError('--older-than goes with --prune');
  const olderThanMs = options.olderThan === undefined ? undefined : parseAge(options.olderThan);
  const cache = await openExecutorImageCache(context, options);
  try {
    if (options.prune) {
      const { removed, kept } = await cache.prune(olderThanMs === undefined ? {} : { olderThanMs });
      const freedBytes = removed.reduce((sum, image) => sum + image.sizeBytes, 0);
      if (output.isJson) {
        for (const image of removed) output.json({ type: 'image.removed', ...image });
        output.json({ type: 'images.pruned', removed: removed.length, kept: kept.length, keptInUse: kept.filter((image) => image.inUse).length, freedBytes });
        return 0;
      }
      for (const image of removed) output.step(`Removed ${describe(image)} (${formatBytes(image.sizeBytes)}, last used ${ago(image.lastUsedAt)})`);
      const inUse = kept.filter((image) => image.inUse).length;
      output.result(
        `${removed.length} image(s) removed, ${formatBytes(freedBytes)} freed; ${kept.length} kept${inUse > 0 ? ` (${inUse} needed by queued or running jobs)` : ''}`,
      );
      return 0;
    }
    const images = await cache.list();
    if (output.isJson) {
      for (const image of images) output.json({ type: 'image', ...image });
      return 0;
    }
    if (images.length === 0) {
      output.result(`No images cached in ${cache.imageDir}`);
      return 0;
    }
    output.result(
      table(
        images.map((image) => [describe(image), shortDigest(image.digest), formatBytes(image.sizeBytes), ago(image.lastUsedAt), image.inUse ? 'in use' : '']),
        ['IMAGE', 'DIGEST', 'SIZE', 'LAST USED', ''],
      ),
    );
    return 0;
  } catch (error) {
    throw imageCacheError(error);
  }
}

function describe(image: CachedImage): string {
  return image.reference ?? image.file;
}

function shortDigest(digest: string | undefined): string {
  return digest === undefined ? '' : `${digest.slice(0, 'sha256:'.length + 12)}`;
}
