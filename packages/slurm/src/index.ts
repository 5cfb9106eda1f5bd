// @pollinator/slurm: the factory, its options, the provider and the environment reader.
// Everything else (batch script, hostlists, quoting, job states) is internal.
export { createSlurmBackend } from './slurm-backend';
export type { SlurmBackendOptions } from './slurm-backend-options';
export { slurmBackendProvider } from './slurm-backend-provider';
export { slurmOptionsFromEnv } from './options-from-env';
// Types the options are made of (`runner`, `runtime`), so a caller can name them.
export type { CommandResult, CommandRunner, RunOptions } from './runner';
export type { ContainerRuntime } from './batch-script';
// The image cache from the login node (`pollinator executor warm`, `executor images`).
export { openSlurmImageCache, type CachedImage, type SlurmImageCache, type WarmedImage } from './image-cache-admin';
