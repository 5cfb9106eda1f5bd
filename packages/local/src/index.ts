export {
  createLocalBackend,
  detectLocalMode,
  LOCAL_BACKEND_NAME,
  type LocalBackend,
  type LocalBackendOptions,
  type LocalMode,
} from './local-backend';
export { containerRunArguments, type ContainerRuntime } from './container-args';
export { type LocalIsolation } from './plain-process';
export { JOB_MARKER_ENV } from './processes';
export { bwrapArguments, bwrapUsable, rewritePaths, REWRITE_MODE_WARNING, type SandboxLayout } from './sandbox';
