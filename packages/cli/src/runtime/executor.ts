import { join } from 'node:path';
import type { BlobStore } from '@pollinator/cfs-sync';
import type { ColoniesClient } from '@pollinator/colonies-client';
import type { BackendProvider, EnvironmentVariables, ExecutorEvent, ExecutorRegistration, ShutdownMode } from '@pollinator/core';
import type { KubernetesBackendOptions } from '@pollinator/k8s';
import type { LocalBackendOptions } from '@pollinator/local';
import type { SlurmBackendOptions } from '@pollinator/slurm';
import type { CommandContext } from '../context';
import { CliError } from '../errors';
import { CliExitCode } from '../exit-codes';

export type BackendName = 'local' | 'slurm' | 'k8s';

export interface StartExecutorOptions {
  backend: BackendName;
  /** Client signed with the executor's key (pre-registered), or any client of the colony with `register`. */
  client: ColoniesClient;
  colonyName: string;
  blobStore: BlobStore;
  /** Name of the pre-registered executor (without `register`). */
  executorName?: string;
  /** Self-registration with the colony owner key. */
  register?: ExecutorRegistration;
  fsDir: string;
  stateDir: string;
  maxConcurrency?: number;
  /** Long-poll of one assign call in seconds (also bounds how long a shutdown waits for it). */
  assignTimeoutSeconds?: number;
  /** How often a running job is checked for cancel / deadline, in ms. */
  watchIntervalMs?: number;
  /** Options for the backend's factory (see `backendOptionsFromEnv`). */
  backendOptions?: BackendOptionsByName[BackendName];
  /**
   * Host paths no job may see besides the executor's own state and staging
   * directories (pollinator's data and config directories: identities, keys,
   * the embedded dev-server's database and blobs); see `protectedPathsOf`.
   */
  protectedPaths?: string[];
  /** Called with every executor event (the `executor start` command prints them). */
  onEvent?: (event: ExecutorEvent) => void;
}

export interface RunningExecutor {
  name: string | undefined;
  backend: BackendName;
  /** Stops assigning; see `ShutdownMode` (`finish`: running jobs finish first). */
  stop(mode?: ShutdownMode): Promise<void>;
  /** Settles when the executor has stopped. */
  done: Promise<void>;
  running(): string[];
  /** How the backend runs jobs, when it says (the local backend: `process`, `docker` or `podman`). */
  jobRuntime?: string;
}

/** A backend package the CLI can run, and how to get its provider once chosen. */
interface BackendEntry<Options> {
  packageName: string;
  /** Imported only when this backend is chosen: its platform libraries (Kubernetes client, …) load then. */
  load(): Promise<BackendProvider<Options>>;
}

/** The options each backend takes (types only: nothing is loaded for them). */
export interface BackendOptionsByName {
  local: LocalBackendOptions;
  slurm: SlurmBackendOptions;
  k8s: KubernetesBackendOptions;
}

// Literal specifiers, so the bundle and the pack test see every backend package.
const BACKENDS: { [Name in BackendName]: BackendEntry<BackendOptionsByName[Name]> } = {
  local: { packageName: '@pollinator/local', load: async () => (await import('@pollinator/local')).localBackendProvider },
  slurm: { packageName: '@pollinator/slurm', load: async () => (await import('@pollinator/slurm')).slurmBackendProvider },
  k8s: { packageName: '@pollinator/k8s', load: async () => (await import('@pollinator/k8s')).k8sBackendProvider },
};

export const BACKEND_NAMES: readonly BackendName[] = ['local', 'slurm', 'k8s'];

/** Backends whose package is installed and loads. */
export async function installedBackends(): Promise<BackendName[]> {
  const names: BackendName[] = [];
  for (const name of BACKEND_NAMES) {
    try {
      await BACKENDS[name].load();
      names.push(name);
    } catch {
      // not installed, or fails to load
    }
  }
  return names;
}

/** Loads a backend's provider; says which backends are installed when it cannot. */
export async function loadBackendProvider<Name extends BackendName>(name: Name): Promise<BackendProvider<BackendOptionsByName[Name]>> {
  const entry: BackendEntry<BackendOptionsByName[Name]> = BACKENDS[name];
  try {
    return await entry.load();
  } catch (error) {
    const installed = await installedBackends();
    throw new CliError(`The ${name} backend is not available`, {
      why: `${entry.packageName} cannot be loaded (${error instanceof Error ? error.message : String(error)})`,
      fix: `Installed backends: ${installed.length > 0 ? installed.join(', ') : 'none'}.`,
      exitCode: CliExitCode.USAGE,
      code: 'BACKEND_UNAVAILABLE',
      cause: error,
    });
  }
}

/** What the command adds to a backend's own environment settings. */
export interface BackendHostSettings {
  /** The executor's data directory: the Slurm image cache defaults to `<home>/images`. */
  home: string;
  /** Where the local backend's warnings go (a local executor that cannot isolate jobs says so). */
  onWarning: (message: string) => void;
}

/**
 * A backend's options for `executor start`: what its package reads from the
 * environment (every `POLLINATOR_SLURM_*` / `POLLINATOR_K8S_*` setting, and the
 * original HPC executor's names), plus the command's own settings.
 */
export async function backendOptionsFromEnv<Name extends BackendName>(
  name: Name,
  env: EnvironmentVariables,
  settings: BackendHostSettings,
): Promise<BackendOptionsByName[Name]> {
  const options: BackendOptionsByName[BackendName] = (await loadBackendProvider(name)).optionsFromEnv(env);
  if (name === 'local') (options as LocalBackendOptions).onWarning = settings.onWarning;
  // The image cache must be on a filesystem the compute nodes see; the data directory (under $HOME) usually is.
  if (name === 'slurm') (options as SlurmBackendOptions).imageDir ??= join(settings.home, 'images');
  return options;
}

/**
 * Starts `runExecutor()` from `@pollinator/core` with a backend in this
 * process and waits until it is registered and assigning. The command's
 * cleanup stops it (`finish` mode) unless it was stopped before.
 */
export async function startExecutor(context: CommandContext, options: StartExecutorOptions): Promise<RunningExecutor> {
  const provider: BackendProvider<BackendOptionsByName[BackendName]> = await loadBackendProvider(options.backend);
  const backend = provider.create(options.backendOptions ?? {});
  const { runExecutor } = await import('@pollinator/core');
  const running = runExecutor({
    client: options.client,
    backend,
    cfs: { store: options.blobStore },
    fsDir: options.fsDir,
    stateDir: options.stateDir,
    ...(options.protectedPaths === undefined ? {} : { protectedPaths: options.protectedPaths }),
    colonyName: options.colonyName,
    ...(options.register === undefined ? {} : { register: options.register }),
    ...(options.executorName === undefined ? {} : { executorName: options.executorName }),
    maxConcurrency: options.maxConcurrency ?? 1,
    ...(options.assignTimeoutSeconds === undefined ? {} : { assignTimeoutSeconds: options.assignTimeoutSeconds }),
    ...(options.watchIntervalMs === undefined ? {} : { watchIntervalMs: options.watchIntervalMs }),
    handleSignals: false,
    onEvent: (event) => {
      if (event.type === 'warning') context.output.debug(`executor: ${event.message}`);
      options.onEvent?.(event);
    },
  });
  const done = running.done.catch((error: unknown) => {
    context.output.debug(`executor stopped with an error: ${(error as Error).message}`);
  });
  let stopped: Promise<void> | undefined;
  const stop = (mode?: ShutdownMode): Promise<void> =>
    (stopped ??= (async () => {
      await running.stop(mode);
      await done;
      await backend.close?.();
    })());
  context.onCleanup(() => stop());
  const ready = await running.ready.catch(async (error: unknown) => {
    await stop().catch(() => undefined);
    throw error;
  });
  // The local backend's `mode`: the embedded default tells a run whether its image is used (see embedded-image-notice).
  const mode: unknown = (backend as { mode?: unknown }).mode;
  return {
    name: ready.executorName,
    backend: options.backend,
    ...(typeof mode === 'string' ? { jobRuntime: mode } : {}),
    stop,
    done,
    running: () => running.running(),
  };
}
