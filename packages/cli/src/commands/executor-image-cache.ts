/**
 * The Slurm executor's image cache for `executor warm` and `executor images`:
 * the same directory, runtime and pull timeout `executor start --backend slurm
 * --name <name>` uses (POLLINATOR_SLURM_* settings, else `<data dir>/executors/<name>/images`).
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { BackendError } from '@pollinator/core';
import type { SlurmImageCache } from '@pollinator/slurm';
import type { CommandContext } from '../context';
import { CliError } from '../errors';
import { CliExitCode } from '../exit-codes';
import { backendOptionsFromEnv } from '../runtime/executor';

export interface ImageCacheCommandOptions {
  name?: string;
}

/** The home of executor `name` (as `executor start` names it: default `<host>-slurm`). */
function executorHome(context: CommandContext, name: string | undefined): string {
  const executorName = name ?? context.config.env.COLONIES_EXECUTOR_NAME ?? `${hostname().split('.')[0] ?? 'executor'}-slurm`;
  return join(context.config.dataDir, 'executors', executorName.replace(/[^A-Za-z0-9._-]/g, '_'));
}

export async function openExecutorImageCache(context: CommandContext, options: ImageCacheCommandOptions): Promise<SlurmImageCache> {
  try {
    const backendOptions = await backendOptionsFromEnv('slurm', context.config.env, {
      home: executorHome(context, options.name),
      onWarning: (message) => context.output.warn(message),
    });
    const { openSlurmImageCache } = await import('@pollinator/slurm');
    return openSlurmImageCache(backendOptions);
  } catch (error) {
    throw imageCacheError(error);
  }
}

/** A backend refusal (settings, squeue down) as a configuration error that says what to set. */
export function imageCacheError(error: unknown): unknown {
  if (!BackendError.isInstance(error)) return error;
  return new CliError('The Slurm image cache cannot be used', {
    why: error.message.replace(/^(\[[^\]]+\]\s*)+/, ''),
    fix: 'Run this on the login node where `pollinator executor start --backend slurm` runs, with the same POLLINATOR_SLURM_* settings and --name (docs/slurm.md, "Images").',
    exitCode: CliExitCode.CONFIG,
    code: 'CONFIG',
    cause: error,
  });
}
