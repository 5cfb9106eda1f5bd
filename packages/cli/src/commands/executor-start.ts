import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { BackendError, BackendPreflightError, StateDirLockedError, type ExecutorRegistration } from '@pollinator/core';
import type { CommandContext } from '../context';
import { CliError, usageError } from '../errors';
import { CliExitCode } from '../exit-codes';
import { createExecutorEventRenderer } from '../render/executor-events';
import { connectColony } from '../runtime/colony';
import { backendOptionsFromEnv, startExecutor, type BackendName } from '../runtime/executor';
import { protectedPathsOf } from '../runtime/protected-paths';

export interface ExecutorStartOptions {
  backend: BackendName;
  name?: string;
  type?: string;
  concurrency?: string;
  fsDir?: string;
  stateDir?: string;
}

/**
 * `pollinator executor start --backend local|slurm|k8s`: an executor in the
 * foreground. Identity: with `COLONIES_COLONY_PRVKEY` it registers itself
 * (add + approve, removed again on shutdown); otherwise `COLONIES_PRVKEY`
 * must be an executor registered and approved beforehand. On the embedded
 * default it registers itself with the embedded colony's owner key.
 * Ctrl-C / SIGTERM: stop assigning, let running jobs finish; a second one
 * leaves them running (a restarted executor re-attaches to them).
 */
export async function run(context: CommandContext, options: ExecutorStartOptions): Promise<number> {
  const { output } = context;
  const maxConcurrency = Number.parseInt(options.concurrency ?? '1', 10);
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1) throw usageError(`--concurrency must be a positive integer, got "${options.concurrency}"`);
  const env = context.config.env;
  const name = options.name ?? env.COLONIES_EXECUTOR_NAME ?? `${hostname().split('.')[0] ?? 'executor'}-${options.backend}`;
  const type = options.type ?? env.COLONIES_EXECUTOR_TYPE ?? 'container-executor';
  const home = join(context.config.dataDir, 'executors', name.replace(/[^A-Za-z0-9._-]/g, '_'));
  const fsDir = resolve(context.cwd, options.fsDir ?? join(home, 'fs'));
  const stateDir = resolve(context.cwd, options.stateDir ?? join(home, 'state'));

  const connection = await connectColony(context);
  let register: ExecutorRegistration | undefined;
  let executorName: string | undefined;
  const colonyPrivateKey = connection.embedded?.env.COLONIES_COLONY_PRVKEY ?? env.COLONIES_COLONY_PRVKEY;
  if (colonyPrivateKey !== undefined && colonyPrivateKey !== '') {
    register = { colonyPrivateKey, name, type, locationName: hostname() };
  } else if (env.COLONIES_PRVKEY !== undefined && env.COLONIES_PRVKEY !== '') {
    executorName = options.name ?? env.COLONIES_EXECUTOR_NAME;
  } else {
    throw new CliError('No executor identity', {
      why: 'neither COLONIES_COLONY_PRVKEY (to register this executor) nor COLONIES_PRVKEY (a pre-registered executor key) is set',
      fix: 'Set one of them (see docs/running-an-executor.md).',
      exitCode: CliExitCode.CONFIG,
      code: 'CONFIG',
    });
  }

  // A local executor that cannot isolate jobs says so (onWarning) before it takes any.
  // Settings the backend refuses (POLLINATOR_SLURM_RUNTIME=docker) are a configuration error too (78), like one it cannot start with.
  const backendOptions = await backendOptionsFromEnv(options.backend, env, { home, onWarning: (message) => output.warn(message) }).catch(
    backendCannotStart(options.backend),
  );
  const executor = await startExecutor(context, {
    backend: options.backend,
    client: connection.client,
    colonyName: connection.colonyName,
    blobStore: await connection.blobStore(),
    ...(register === undefined ? {} : { register }),
    ...(executorName === undefined ? {} : { executorName }),
    fsDir,
    stateDir,
    // This executor's home (its key files) and pollinator's data and config directories.
    protectedPaths: protectedPathsOf(context.config, home),
    maxConcurrency,
    backendOptions,
    onEvent: createExecutorEventRenderer(output, { verbosity: 'full' }),
  }).catch(backendCannotStart(options.backend));
  if (output.isJson) {
    output.json({ type: 'executor.ready', name: executor.name ?? name, backend: options.backend, colonyName: connection.colonyName, fsDir, stateDir });
  } else {
    output.step(
      `Executor ${output.colors.bold(executor.name ?? name)} (${options.backend}, type ${type}) takes jobs from ${connection.description}; Ctrl-C stops it`,
    );
    output.line(`  staging ${fsDir}`);
  }

  await new Promise<void>((resolvePromise) => {
    if (context.signal.aborted) resolvePromise();
    context.signal.addEventListener('abort', () => resolvePromise(), { once: true });
  });
  const running = executor.running();
  if (!output.isJson) {
    output.line(
      running.length > 0
        ? `Stopping: no new jobs; waiting for ${running.length} running job(s) to finish. Ctrl-C again leaves them running (a restarted executor re-attaches).`
        : 'Stopping.',
    );
  }
  await executor.stop('finish');
  if (output.isJson) output.json({ type: 'executor.stopped' });
  else output.step('Executor stopped');
  return 0;
}

/**
 * A backend's refusal (bad settings, no cluster to talk to) as the
 * configuration error it is: exit 78, what to set. A failed preflight (the
 * backend checked, before registering, that it can run jobs here) says
 * itself what to do; nothing was registered with the colony.
 */
function backendCannotStart(backend: string): (error: unknown) => never {
  return (error: unknown) => {
    if (StateDirLockedError.isInstance(error)) {
      throw new CliError('Another executor already uses this state directory', {
        why: `${error.message} (nothing was registered with the colony)`,
        fix: error.fix,
        exitCode: CliExitCode.CONFIG,
        code: 'CONFIG',
        cause: error,
      });
    }
    if (BackendError.isInstance(error)) {
      throw new CliError(`The ${backend} backend cannot start`, {
        why: `${error.message.replace(/^(\[[^\]]+\]\s*)+/, '')}${BackendPreflightError.isInstance(error) ? ' (nothing was registered with the colony)' : ''}`,
        fix: BackendPreflightError.isInstance(error)
          ? error.fix
          : backend === 'slurm'
            ? 'Configure it with the POLLINATOR_SLURM_* variables (runtime, image directory, partition, account, QoS, modules, site lines; docs/slurm.md).'
            : backend === 'k8s'
              ? 'Configure it with KUBECONFIG (or run it in the cluster) and the POLLINATOR_K8S_* variables (docs/kubernetes.md).'
              : 'See docs/running-an-executor.md.',
        exitCode: CliExitCode.CONFIG,
        code: 'CONFIG',
        cause: error,
      });
    }
    throw error;
  };
}
