/**
 * `start()` of the local backend: prepares the job's work directory, writes
 * the supervisor's configuration and starts the detached supervisor
 * (supervisor/main.ts), which runs the job.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BackendError, DEFAULT_PATH, type JobHandle, type JobRequest } from '@pollinator/backend';
import { containerName, containerRunArguments } from './container-args';
import { JOB_FILES, type SupervisorConfig } from './job-files';
import { baseEnvironment, containerClientEnvironment } from './job-environment';
import { localHandles } from './local-handle';
import { LOCAL_BACKEND_NAME, type LocalSettings } from './local-options';
import { prepareMountDirectory } from './mount-directory';
import { plainProcessCommand } from './plain-process';
import { procStartTicks } from './processes';
import { supervisorArguments } from './supervisor-command';

/** The plain-process isolation, chosen once per backend (see plain-process.ts); undefined for containers. */
export type ChooseIsolation = (() => Promise<'bwrap' | 'rewrite'>) | undefined;

/** What the supervisor runs, before the times and paths are added. */
type JobCommand = Pick<SupervisorConfig, 'argv' | 'env' | 'stopArgv' | 'killArgv'> & {
  containerName: string | null;
  /** A container's signal command (`docker kill --signal`): signalling the client reaches only the container's first process. */
  signalArgv?: (signal: string) => string[];
  /** The leader wraps the job (bwrap) and must not get its stop signal. */
  spareLeader?: boolean;
  marker?: string;
};

function shellCommand(job: JobRequest): string {
  // The original executors' `init;cmd` joining: a failing init command does not stop the command.
  return job.initCommand.trim() === '' ? job.command : `${job.initCommand};${job.command}`;
}

async function jobCommand(job: JobRequest, runDir: string, settings: LocalSettings, isolation: ChooseIsolation): Promise<JobCommand> {
  const command = shellCommand(job);
  if (settings.mode === 'process') {
    const context = { bwrapPath: settings.bwrapPath, baseEnv: baseEnvironment() };
    const { argv, env, marker } = plainProcessCommand(job, command, runDir, await isolation!(), context);
    return { argv, env, marker, stopArgv: null, killArgv: null, containerName: null, spareLeader: argv[0] !== '/bin/sh' };
  }
  const name = containerName(job, randomBytes(4).toString('hex'));
  const client = settings.containerCommand || settings.mode;
  return {
    argv: [client, ...containerRunArguments(job, name, command)],
    env: { ...containerClientEnvironment(), ...job.env },
    stopArgv: [client, 'stop', '--time', String(Math.ceil(settings.graceMs / 1000)), name],
    killArgv: [client, 'kill', name],
    signalArgv: (signal) => [client, 'kill', '--signal', signal, name],
    containerName: name,
  };
}

/** Starts the supervisor detached (it outlives the executor) and resolves with its pid. */
async function spawnSupervisor(settings: LocalSettings, workDir: string, configPath: string): Promise<number> {
  const supervisor = spawn(settings.nodePath, [...supervisorArguments(), configPath], {
    cwd: workDir,
    detached: true,
    stdio: 'ignore',
    env: { PATH: process.env.PATH ?? DEFAULT_PATH },
  });
  const pid = await new Promise<number>((resolve, reject) => {
    supervisor.once('error', (error) =>
      reject(new BackendError(LOCAL_BACKEND_NAME, `could not start the job supervisor: ${error.message}`, { cause: error })),
    );
    supervisor.once('spawn', () => resolve(supervisor.pid!));
  });
  supervisor.unref();
  return pid;
}

export async function startJob(job: JobRequest, settings: LocalSettings, isolation: ChooseIsolation): Promise<JobHandle> {
  if (!existsSync(job.workDir)) mkdirSync(job.workDir, { recursive: true });
  // Older callers may not set protectedPaths.
  for (const mount of job.mounts) prepareMountDirectory(LOCAL_BACKEND_NAME, mount.hostPath, job.protectedPaths ?? []);
  const runDir = join(job.workDir, 'run');
  mkdirSync(runDir, { recursive: true });
  const { containerName: name, marker, signalArgv, spareLeader, ...command } = await jobCommand(job, runDir, settings, isolation);
  const config: SupervisorConfig = {
    processId: job.processId,
    argv: command.argv,
    env: command.env,
    cwd: runDir,
    walltimeSeconds: job.resources.walltimeSeconds,
    graceMs: settings.graceMs,
    marker: marker ?? null,
    stopArgv: command.stopArgv,
    killArgv: command.killArgv,
    startedAt: Date.now(),
    ...(job.stopSignal
      ? { stopSignal: { ...job.stopSignal, argv: signalArgv?.(job.stopSignal.signal) ?? null, spareLeader: spareLeader ?? false } }
      : {}),
  };
  const configPath = join(job.workDir, JOB_FILES.config);
  writeFileSync(configPath, JSON.stringify(config), { mode: 0o600 });
  rmSync(join(job.workDir, JOB_FILES.result), { force: true });
  rmSync(join(job.workDir, JOB_FILES.pgid), { force: true });
  writeFileSync(join(job.workDir, JOB_FILES.output), '');

  const pid = await spawnSupervisor(settings, job.workDir, configPath);
  const data = {
    workDir: job.workDir,
    mode: settings.mode,
    startTicks: procStartTicks(pid),
    containerName: name,
    ...(marker === undefined ? {} : { marker }),
    // For the image digest (`imageDigest`), asked once the job has ended.
    ...(name === null ? {} : { image: job.image }),
  };
  // Record who the supervisor is, so reattach can check a saved handle against it.
  writeFileSync(join(job.workDir, JOB_FILES.handle), JSON.stringify({ processId: job.processId, id: String(pid) }));
  return localHandles.create(job.processId, String(pid), data);
}
