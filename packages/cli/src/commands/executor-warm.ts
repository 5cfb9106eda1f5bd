import type { CommandContext } from '../context';
import { CliError } from '../errors';
import { CliExitCode } from '../exit-codes';
import { formatBytes, formatDuration } from '../render/format';
import { openExecutorImageCache, type ImageCacheCommandOptions } from './executor-image-cache';

export interface ExecutorWarmOptions extends ImageCacheCommandOptions {
  rebuild?: boolean;
}

/**
 * `pollinator executor warm IMAGE…`: pulls images into the Slurm executor's
 * cache on the login node, before jobs ask for them (a job of a warm image
 * starts without a pull). One image after the other, the runtime's progress
 * on stderr; an image already cached is not pulled again (`--rebuild` does).
 * Every image is tried; the exit status is 1 when one could not be pulled.
 */
export async function run(context: CommandContext, images: string[], options: ExecutorWarmOptions): Promise<number> {
  const { output } = context;
  const cache = await openExecutorImageCache(context, options);
  let failed = 0;
  for (const image of images) {
    const started = Date.now();
    if (!output.isJson) output.info(`${options.rebuild ? 'Rebuilding' : 'Warming'} ${image} in ${cache.imageDir}`);
    try {
      const warmed = await cache.warm(image, { rebuild: options.rebuild ?? false, onOutput: (text) => output.line(text.replace(/\n$/, '')) });
      const seconds = (Date.now() - started) / 1000;
      if (output.isJson) {
        output.json({ type: 'image.warmed', ...warmed, seconds });
      } else {
        const what = warmed.pulled ? `pulled in ${formatDuration(Date.now() - started)}` : 'already cached';
        output.step(`${image}: ${what} (${formatBytes(warmed.sizeBytes)}, ${warmed.digest ?? 'digest unknown'})`);
      }
    } catch (error) {
      // The settings were checked when the cache opened: what fails here is this image's pull.
      if (!(error instanceof Error)) throw error;
      failed += 1;
      if (output.isJson) output.json({ type: 'image.warm-failed', image, message: error.message });
      else output.warn(`${image}: ${error.message}`);
    }
  }
  if (failed > 0) {
    throw new CliError(`${failed} of ${images.length} image(s) could not be pulled`, {
      why: 'see the messages above',
      fix: 'Check the image names and that this node can reach the registry; jobs of those images will try to pull them again when they start.',
      exitCode: CliExitCode.JOB_FAILED,
      code: 'IMAGE_PULL_FAILED',
    });
  }
  return 0;
}
