import type { BlobStore } from '@pollinator/cfs-sync';
import type { ColoniesClient } from '@pollinator/colonies-client';
import type { Backend, ExecutorEvent, ExecutorRegistration, ShutdownMode } from '@pollinator/core';
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
  /** Options for the backend's factory. */
  backendOptions?: Record<string, unknown>;
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
}

const BACKEND_PACKAGES: Record<BackendName, string> = {
  local: '@pollinator/local',
  slurm: '@pollinator/slurm',
  k8s: '@pollinator/k8s',
};

const BACKEND_FACTORIES: Record<BackendName, string> = {
  local: 'createLocalBackend',
  slurm: 'createSlurmBackend',
  k8s: 'createK8sBackend',
};

type BackendFactory = (options?: Record<string, unknown>) => Backend;

async function importBackend(name: BackendName): Promise<Record<string, unknown>> {
  // Literal specifiers, so the bundle and the pack test see every backend package.
  switch (name) {
    case 'local':
      return (await import('@pollinator/local'));
    case 'slurm':
      return (await import('@pollinator/slurm'));
    case 'k8s':
      return (await import('@pollinator/k8s'));
  }
}

/** Backends whose package is installed and provides its factory. */
export async function installedBackends(): Promise<BackendName[]> {
  const names: BackendName[] = [];
  for (const name of ['local', 'slurm', 'k8s'] as const) {
    try {
      const module = await importBackend(name);
      if (typeof module[BACKEND_FACTORIES[name]] === 'function') names.push(name);
    } catch {
      // not installed, or fails to load
    }
  }
  return names;
}

/** Loads a backend's factory; says which backends are installed when it is missing. */
export async function loadBackend(name: BackendName): Promise<BackendFactory> {
  let module: Record<string, unknown> | undefined;
  let loadError: unknown;
  try {
    module = await importBackend(name);
  } catch (error) {
    loadError = error;
  }
  const factory = module?.[BACKEND_FACTORIES[name]];
  if (typeof factory === 'function') return factory as BackendFactory;
  const installed = await installedBackends();
  throw new CliError(`The ${name} backend is not available`, {
    why:
      module === undefined
        ? `${BACKEND_PACKAGES[name]} cannot be loaded (${(loadError as Error | undefined)?.message ?? 'not installed'})`
        : `this version of ${BACKEND_PACKAGES[name]} does not provide ${BACKEND_FACTORIES[name]}() yet`,
    fix: `Installed backends: ${installed.length > 0 ? installed.join(', ') : 'none'}.`,
    exitCode: CliExitCode.USAGE,
    code: 'BACKEND_UNAVAILABLE',
    cause: loadError,
  });
}

/**
 * Starts `runExecutor()` from `@pollinator/core` with a backend in this
 * process and waits until it is registered and assigning. The command's
 * cleanup stops it (`finish` mode) unless it was stopped before.
 */
export async function startExecutor(context: CommandContext, options: StartExecutorOptions): Promise<RunningExecutor> {
  const createBackend = await loadBackend(options.backend);
  const backend = createBackend(options.backendOptions ?? {});
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
  return {
    name: ready.executorName,
    backend: options.backend,
    stop,
    done,
    running: () => running.running(),
  };
}
