import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { ExecutorEvent, ExecutorRegistration } from '@pollinator/core';
import type { CommandContext } from '../context';
import { CliError, usageError } from '../errors';
import { CliExitCode } from '../exit-codes';
import { connectColony } from '../runtime/colony';
import { startExecutor, type BackendName } from '../runtime/executor';
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

  const backendOptions = await backendOptionsFor(options.backend, env, home);
  // A local executor that cannot isolate jobs says so before it takes any.
  if (options.backend === 'local') backendOptions.onWarning = (message: string) => output.warn(message);
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
    onEvent: (event) => describe(context, event),
  }).catch((error: unknown) => {
    if ((error as { name?: string } | null)?.name === 'BackendError') {
      throw new CliError(`The ${options.backend} backend cannot start`, {
        why: (error as Error).message.replace(/^(\[[^\]]+\]\s*)+/, ''),
        fix:
          options.backend === 'slurm'
            ? 'Configure it with the POLLINATOR_SLURM_* variables (runtime, image directory, partition, account, QoS, modules, site lines; docs/slurm.md).'
            : options.backend === 'k8s'
              ? 'Configure it with KUBECONFIG (or run it in the cluster) and the POLLINATOR_K8S_* variables (docs/kubernetes.md).'
              : 'See docs/running-an-executor.md.',
        exitCode: CliExitCode.CONFIG,
        code: 'CONFIG',
        cause: error,
      });
    }
    throw error;
  });
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

async function backendOptionsFor(backend: BackendName, env: NodeJS.ProcessEnv, home: string): Promise<Record<string, unknown>> {
  if (backend === 'k8s') {
    const k8s = (await import('@pollinator/k8s')) as Record<string, unknown>;
    const fromEnv = k8s.kubernetesBackendOptionsFromEnv;
    return typeof fromEnv === 'function' ? (fromEnv as (env: NodeJS.ProcessEnv) => Record<string, unknown>)(env) : {};
  }
  if (backend === 'slurm') {
    // Every POLLINATOR_SLURM_* setting (and the original HPC executor's names) is
    // read by the backend package itself, so site lines, modules and GPU options
    // work from the command too.
    const slurm = await import('@pollinator/slurm');
    const options: Record<string, unknown> = { ...slurm.slurmOptionsFromEnv(env) };
    // The image cache must be on a filesystem the compute nodes see; the data directory (under $HOME) usually is.
    options.imageDir ??= join(home, 'images');
    return options;
  }
  return {};
}

function describe(context: CommandContext, event: ExecutorEvent): void {
  const { output } = context;
  if (output.isJson) {
    output.json({ ...event, type: `executor.${event.type}` });
    return;
  }
  const c = output.colors;
  const time = c.dim(new Date().toTimeString().slice(0, 8));
  switch (event.type) {
    case 'registered':
      output.line(`${time} registered as ${event.executorName}${event.selfRegistered ? ' (self-registered)' : ''}`);
      break;
    case 'assigned':
      output.line(`${time} assigned ${event.processId} (${event.funcname})`);
      break;
    case 'job.started':
      output.line(`${time} started ${event.processId} as ${event.handle.backend} job ${event.handle.id}`);
      break;
    case 'job.reattached':
      output.line(`${time} re-attached to ${event.processId}`);
      break;
    case 'process.closed':
      output.line(
        `${time} ${event.success ? c.green('succeeded') : c.red('failed')} ${event.processId}${event.exitCode === undefined ? '' : ` (exit ${event.exitCode})`}${event.error ? `: ${event.error}` : ''}`,
      );
      break;
    case 'process.abandoned':
      output.line(`${time} ${c.yellow('abandoned')} ${event.processId}: ${event.reason}`);
      break;
    case 'warning':
      output.warn(event.message);
      break;
    default:
      break;
  }
}
