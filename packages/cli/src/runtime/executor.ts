import type { BlobStore } from '@pollinator/cfs-sync';
import type { ColoniesClient } from '@pollinator/colonies-client';
import type { CommandContext } from '../context';
import { CliError } from '../errors';
import { CliExitCode } from '../exit-codes';

export type BackendName = 'local' | 'slurm' | 'k8s';

export interface StartExecutorOptions {
  backend: BackendName;
  /** Client signed with the executor's key (or a colony owner's for self-registration). */
  client: ColoniesClient;
  colonyName: string;
  blobStore: BlobStore;
  name: string;
  type: string;
  fsDir: string;
  stateFile: string;
  concurrency?: number;
  /** The executor is already registered and approved (the embedded default's). */
  registered: boolean;
  /** Colony owner key for self-registration. */
  colonyPrivateKey?: string;
  /** Don't print the executor's own progress lines (the embedded default). */
  quiet?: boolean;
}

export interface RunningExecutor {
  name: string;
  backend: BackendName;
  /** Stops assigning; running jobs finish or are handed back (see docs/running-an-executor.md). */
  stop(): Promise<void>;
  /** Settles when the executor has stopped. */
  done: Promise<void>;
}

const BACKEND_PACKAGES: Record<BackendName, string> = {
  local: '@pollinator/local',
  slurm: '@pollinator/slurm',
  k8s: '@pollinator/k8s',
};

type BackendFactory = (options?: Record<string, unknown>) => unknown;

/** Loads a backend package and its factory; explains which backends are installed when it is missing. */
export async function loadBackend(name: BackendName): Promise<BackendFactory> {
  const factories: Record<BackendName, string> = { local: 'createLocalBackend', slurm: 'createSlurmBackend', k8s: 'createK8sBackend' };
  let module: Record<string, unknown> | undefined;
  try {
    module = (await importBackend(name)) as Record<string, unknown>;
  } catch (error) {
    module = undefined;
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
  }
  const factory = module?.[factories[name]];
  if (typeof factory !== 'function') {
    const installed = await installedBackends();
    throw new CliError(`The ${name} backend is not available`, {
      why: `${BACKEND_PACKAGES[name]} ${module === undefined ? 'is not installed' : `does not provide ${factories[name]}() yet`}`,
      fix: `Installed backends: ${installed.length > 0 ? installed.join(', ') : 'none'}.${module === undefined ? ` Install ${BACKEND_PACKAGES[name]} next to @pollinator/cli.` : ''}`,
      exitCode: CliExitCode.USAGE,
      code: 'BACKEND_UNAVAILABLE',
    });
  }
  return factory as BackendFactory;
}

async function importBackend(name: BackendName): Promise<unknown> {
  // Literal specifiers so bundlers and the pack test see the dependencies.
  switch (name) {
    case 'local':
      return import('@pollinator/local');
    case 'slurm':
      return import('@pollinator/slurm');
    case 'k8s':
      return import('@pollinator/k8s');
  }
}

/** Backends whose package is installed and exports a factory. */
export async function installedBackends(): Promise<BackendName[]> {
  const names: BackendName[] = [];
  for (const name of ['local', 'slurm', 'k8s'] as const) {
    try {
      const module = (await importBackend(name)) as Record<string, unknown>;
      if (Object.values(module).some((value) => typeof value === 'function' && /^create.*Backend$/.test((value as { name: string }).name))) {
        names.push(name);
      }
    } catch {
      // not installed
    }
  }
  return names;
}

/**
 * Starts `runExecutor()` from `@pollinator/core` with a backend, in this
 * process. Resolves once it is assigning; `stop()` shuts it down.
 */
export async function startExecutor(context: CommandContext, options: StartExecutorOptions): Promise<RunningExecutor | undefined> {
  const core = (await import('@pollinator/core')) as Record<string, unknown>;
  const runExecutor = core.runExecutor as ((options: Record<string, unknown>) => unknown) | undefined;
  if (typeof runExecutor !== 'function') {
    context.output.warn(
      'This build has no executor runtime (runExecutor in @pollinator/core): jobs stay queued until an executor of the colony takes them.',
    );
    return undefined;
  }
  const createBackend = await loadBackend(options.backend);
  const backend = createBackend({});
  const controller = new AbortController();
  const running = runExecutor({
    client: options.client,
    colonyName: options.colonyName,
    blobStore: options.blobStore,
    backend,
    name: options.name,
    type: options.type,
    fsDir: options.fsDir,
    stateFile: options.stateFile,
    concurrency: options.concurrency ?? 1,
    signal: controller.signal,
  }) as { done?: Promise<unknown>; stop?: () => Promise<void> } | Promise<unknown>;
  const done = Promise.resolve(running instanceof Promise ? running : running.done).then(() => undefined);
  done.catch(() => undefined);
  const executor: RunningExecutor = {
    name: options.name,
    backend: options.backend,
    done,
    stop: async () => {
      controller.abort();
      if (!(running instanceof Promise) && typeof running.stop === 'function') await running.stop();
      await done.catch(() => undefined);
    },
  };
  context.onCleanup(() => executor.stop());
  return executor;
}
