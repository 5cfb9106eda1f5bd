export {
  buildFunctionSpec,
  CFS_MOUNT,
  DEFAULT_PRIORITY,
  EXECUTE_FUNCTION,
  projectPaths,
  readSlurmPlacement,
  resourceProblems,
  SLURM_KWARGS,
  type BuildFunctionSpecOptions,
} from './build-function-spec';
export type { Conditions, FunctionSpec, JsonValue, SnapshotMount, SyncDirMount } from './function-spec';
export { projectJsonSchema, projectJsonSchemaText } from './json-schema';
export { loadProject, type LoadedProject } from './load-project';
export {
  parseProject,
  PROJECT_FILE,
  type ParseProjectOptions,
  type ParseProjectResult,
  type Project,
  type ProjectTunnel,
} from './parse-project';
export { formatPath } from './schema-issues';
export { knownKeys, suggestKey } from './suggest-key';
export {
  formatProjectIssue,
  formatProjectIssueWithSuggestion,
  type FormattableProjectIssue,
  type ProjectIssue,
} from './project-issues';
export { ProjectConfigError } from './project-config-error';
export { ProjectFilesExistError } from './project-files-exist-error';
export {
  ALLOWED,
  DEFAULT_EXECUTOR_TYPE,
  DEFAULT_RETRIES,
  MAX_RETRIES,
  projectSchema,
  RESULT_DOWNLOAD_POLICIES,
  SYMLINK_POLICIES,
  TUNNEL_MODES,
  type ProjectYaml,
  type ProjectYamlInput,
  type ResultDownloadPolicy,
  type SymlinkPolicy,
  type TunnelMode,
} from './project-schema';
export { containsNulOrLineBreak, PROJECT_YAML_LIMITS, SPEC_LIMITS, utf8ByteLength } from './limits';
export {
  CPU_PATTERN,
  MAX_NODES,
  MAX_PROCESSES_PER_NODE,
  MEMORY_PATTERN,
  memoryToBytes,
  parseCpuMillicores,
  validateCpu,
  validateMemory,
  validateWalltime,
} from './resources';
export { PROJECT_SCHEMA_PATH, projectFiles, projectYamlTemplate, randomProjectName, scaffoldProject, type ScaffoldOptions } from './scaffold';
export {
  FORWARD_CHANNELS_PER_DIRECTION,
  FORWARD_ENTRIES_PER_CHANNEL,
  FORWARD_PORTS_ENV,
  allowedForwardPorts,
  declaresForwardChannels,
  forwardChannelIndex,
  forwardChannelName,
  forwardChannelNames,
  type ForwardDirection,
} from './forward-channels';
export {
  DEFAULT_RETRY_ON,
  grownValue,
  isRetryFactor,
  isRetryOn,
  MAX_RETRY_FACTOR,
  RETRY_GROWTH_LIMITS,
  RETRY_MEMORY_FACTOR_ENV,
  RETRY_ON_ENV,
  RETRY_ON_VALUES,
  RETRY_WALLTIME_FACTOR_ENV,
  retryPolicyEnv,
  retryPolicyFromEnv,
  type RetryOn,
  type RetryPolicy,
} from './retry-policy';
export {
  MAX_STOP_SIGNAL_LEAD_SECONDS,
  readStopSignal,
  STOP_SIGNAL_KWARGS,
  STOP_SIGNALS,
  stopSignalKwargs,
  stopSignalName,
  type StopSignal,
  type StopSignalName,
} from './stop-signal';
