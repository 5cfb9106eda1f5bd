/**
 * `preflight()` of the Slurm backend: before the executor registers, checks
 * that this machine can submit and follow Slurm jobs at all, so a
 * misconfigured executor exits 78 instead of taking jobs and failing each:
 *
 * 1. `SLURM_CONF`, when set, names a file that exists (Slurm's own commands,
 *    even `sbatch --version`, retry a missing one for 60 s before they give up);
 * 2. the Slurm commands the backend runs are on the PATH it gives them;
 * 3. `scontrol ping` finds a slurmctld that is UP;
 * 4. the container runtime (singularity / apptainer) is there, and the image
 *    cache directory can be created.
 *
 * Each check runs the commands through the backend's own `CommandRunner`,
 * with the environment its jobs' commands get.
 */
import { BackendPreflightError } from '@pollinator/backend';
import type { ContainerRuntime } from './batch-script';
import type { CommandResult, CommandRunner } from './runner';
import { BACKEND_NAME } from './slurm-backend-options';

/** The Slurm commands the backend runs: submit, state, accounting is optional (`sacct` is asked only when accounting is on). */
const SLURM_COMMANDS = ['sbatch', 'squeue', 'scontrol', 'scancel'] as const;

/** `--version` answers at once; a few seconds covers a loaded login node. */
const VERSION_TIMEOUT_MS = 15_000;
/** `scontrol ping` waits for the controller up to Slurm's MessageTimeout (10 s by default) per controller. */
const PING_TIMEOUT_MS = 45_000;

export interface SlurmPreflightSettings {
  runner: CommandRunner;
  /** The environment of every Slurm command (the backend's `passEnv` picks). */
  env: Record<string, string>;
  runtime: ContainerRuntime;
  /** The runtime's program (`singularity`, `apptainer`, or a path). */
  runtimeCommand: string;
  /** The image cache directory (container runtimes only). */
  imageDir?: string | undefined;
  /** The site's environment, added for image pulls (a PATH there finds the runtime as the pulls do). */
  siteEnv?: Record<string, string> | undefined;
}

const fail = (reason: string, fix: string, cause?: unknown): never => {
  throw new BackendPreflightError(BACKEND_NAME, reason, fix, cause === undefined ? undefined : { cause });
};

/** First lines of a command's output, for a message (Slurm's errors are one or two lines). */
function outputOf(result: CommandResult): string {
  const text = `${result.stderr}\n${result.stdout}`.trim().split('\n').filter(Boolean).slice(0, 3).join(' / ');
  return text === '' ? `exit status ${result.exitCode}` : text;
}

function notFound(result: CommandResult): boolean {
  return result.exitCode === 127;
}

async function checkCommands(settings: SlurmPreflightSettings): Promise<void> {
  const { runner, env } = settings;
  const results = await Promise.all(SLURM_COMMANDS.map((command) => runner.run(command, ['--version'], { env, timeoutMs: VERSION_TIMEOUT_MS })));
  const missing = SLURM_COMMANDS.filter((_, index) => notFound(results[index]!));
  if (missing.length === 0) return;
  fail(
    `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not on the PATH (${env.PATH ?? 'PATH is not set'})`,
    'Run the executor on a Slurm login node, or add the directory holding the Slurm commands (sbatch, squeue, scontrol, scancel) to PATH (docs/slurm.md).',
  );
}

async function checkConfigurationFile(settings: SlurmPreflightSettings): Promise<void> {
  const path = settings.env.SLURM_CONF;
  if (path === undefined || path === '') return;
  if (await settings.runner.exists(path)) return;
  fail(
    `SLURM_CONF is ${path}, which does not exist`,
    "Set SLURM_CONF to the cluster's slurm.conf, or unset it so the Slurm commands find their default configuration (docs/slurm.md).",
  );
}

async function checkController(settings: SlurmPreflightSettings): Promise<void> {
  let result: CommandResult;
  try {
    result = await settings.runner.run('scontrol', ['ping'], { env: settings.env, timeoutMs: PING_TIMEOUT_MS });
  } catch (error) {
    return fail(`scontrol ping could not run: ${(error as Error).message}`, 'Check the Slurm installation on this machine (docs/slurm.md).', error);
  }
  // One line per controller ("Slurmctld(primary) at head is UP"); any one UP takes jobs.
  if (/\bis UP\b/.test(result.stdout)) return;
  const where = settings.env.SLURM_CONF ? ` (SLURM_CONF=${settings.env.SLURM_CONF})` : '';
  fail(
    `slurmctld cannot be reached${where}: ${outputOf(result)}`,
    "Check that slurmctld runs and that this machine's slurm.conf names it (`scontrol ping` must say UP, `sinfo` must list partitions); then start the executor again.",
  );
}

async function checkRuntime(settings: SlurmPreflightSettings): Promise<void> {
  if (settings.runtime === 'none') return;
  const { runner, runtimeCommand } = settings;
  const env = { ...settings.env, ...(settings.siteEnv ?? {}) };
  const result = await runner.run(runtimeCommand, ['--version'], { env, timeoutMs: VERSION_TIMEOUT_MS });
  if (notFound(result)) {
    fail(
      `the ${settings.runtime} runtime (${runtimeCommand}) is not on the PATH (${env.PATH ?? 'PATH is not set'}); it pulls the jobs' images on this machine`,
      `Install ${settings.runtime === 'apptainer' ? 'Apptainer' : 'SingularityCE or Apptainer'} here (or load its module before starting the executor), set POLLINATOR_SLURM_RUNTIME_COMMAND to its path, or set POLLINATOR_SLURM_RUNTIME=none to run jobs without containers (docs/slurm.md).`,
    );
  }
  if (settings.imageDir === undefined) return;
  try {
    await runner.mkdir(settings.imageDir);
  } catch (error) {
    fail(
      `the image cache directory ${settings.imageDir} cannot be created: ${(error as Error).message}`,
      'Set POLLINATOR_SLURM_IMAGE_DIR to a writable directory on a filesystem the compute nodes see (docs/slurm.md).',
      error,
    );
  }
}

/** Throws `BackendPreflightError` (reason and what to do) at the first check that fails. */
export async function preflightSlurm(settings: SlurmPreflightSettings): Promise<void> {
  // The configuration file first: every Slurm command, even `--version`, waits for a missing one.
  await checkConfigurationFile(settings);
  await checkCommands(settings);
  await checkController(settings);
  await checkRuntime(settings);
}
