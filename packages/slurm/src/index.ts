export { createSlurmBackend, BACKEND_NAME, type SlurmBackendOptions, type SlurmHandleData } from './slurm-backend';
export { createLocalRunner, type CommandRunner, type CommandResult, type RunOptions } from './runner';
export {
  buildBatchScript,
  renderBatchScript,
  type BatchScript,
  type BatchScriptSettings,
  type ContainerRuntime,
} from './batch-script';
export { expandHostlist } from './hostlist';
export { shellQuote, shellJoin } from './shell-quote';
export { cpusPerTask, memoryPerNode, timeLimit } from './resources';
export { imageFileName, imageUri, ImageCache } from './image-cache';
export { toJobStatus, jobInfoFromScontrol, jobInfoFromSacct, describeReason, type SlurmJobInfo } from './job-state';
export { slurmOptionsFromEnv, SLURM_ENV_VARIABLES } from './options-from-env';
