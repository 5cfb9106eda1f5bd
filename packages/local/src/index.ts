export {
  createLocalBackend,
  detectLocalMode,
  LOCAL_BACKEND_NAME,
  type LocalBackendOptions,
  type LocalMode,
} from './local-backend';
export { containerRunArguments, type ContainerRuntime } from './container-args';
export { bwrapArguments, bwrapUsable, rewritePaths } from './sandbox';
