/**
 * Slurm backend settings from environment variables, for
 * `pollinator executor start --backend slurm` on a login node. The original HPC
 * executor's names are read too (`SLURM_PARTITION`, `SLURM_ACCOUNT`,
 * `SLURM_MODULE`, `EXECUTOR_IMAGE_DIR`, `GRES`, `EXECUTOR_ROCM`) so an existing
 * env file keeps working; the `POLLINATOR_SLURM_*` names win.
 */
import { BackendError, type EnvironmentVariables } from '@pollinator/backend';
import type { SlurmBackendOptions } from './slurm-backend-options';

/** Documented variables (docs/slurm.md), name → meaning. */
export const SLURM_ENV_VARIABLES: Record<string, string> = {
  POLLINATOR_SLURM_RUNTIME: 'singularity (default), apptainer or none',
  POLLINATOR_SLURM_RUNTIME_COMMAND: 'path of the singularity/apptainer program (default: the runtime name on PATH)',
  POLLINATOR_SLURM_IMAGE_DIR: 'SIF image cache on a filesystem the compute nodes see (EXECUTOR_IMAGE_DIR)',
  POLLINATOR_SLURM_PULL_TIMEOUT: 'stop an image pull after this long: seconds, or 90s, 45m, 2h (default 30m)',
  POLLINATOR_SLURM_PARTITION: 'default partition (SLURM_PARTITION)',
  POLLINATOR_SLURM_ACCOUNT: 'default account (SLURM_ACCOUNT)',
  POLLINATOR_SLURM_QOS: 'default QoS',
  POLLINATOR_SLURM_MODULES: 'modules to load in every job, separated by commas or newlines (SLURM_MODULE)',
  POLLINATOR_SLURM_SBATCH_LINES: 'extra #SBATCH lines, one per line',
  POLLINATOR_SLURM_SETUP: 'shell lines run in every job before the command, one per line',
  POLLINATOR_SLURM_GPU_OPTION: 'gres (--gres=gpu:N, default) or gpus-per-node',
  POLLINATOR_SLURM_GPU_FLAG: 'nv (default) or rocm (EXECUTOR_ROCM=true)',
  POLLINATOR_SLURM_SRUN: 'true (default): launch through srun, once per task; false: run in the batch shell',
  POLLINATOR_SLURM_MOUNT_WRAPPER: 'runtime none: bwrap (default) or none',
  'POLLINATOR_SLURM_ENV_<NAME>': 'exports <NAME> in every job and image pull (e.g. POLLINATOR_SLURM_ENV_APPTAINER_CACHEDIR)',
};

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined || value === '') return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new BackendError('slurm', `${name}=${JSON.stringify(value)} is not valid: use ${allowed.join(', ')}`);
}

function bool(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (/^(1|true|yes)$/i.test(value)) return true;
  if (/^(0|false|no)$/i.test(value)) return false;
  throw new BackendError('slurm', `${name}=${JSON.stringify(value)} is not valid: use true or false`);
}

/** `1800`, `90s`, `45m`, `2h` → milliseconds. */
function duration(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const match = /^(\d+(?:\.\d+)?)\s*(s|m|h)?$/.exec(value.trim());
  const amount = match ? Number(match[1]) : Number.NaN;
  if (!match || !(amount > 0)) throw new BackendError('slurm', `${name}=${JSON.stringify(value)} is not valid: use seconds or a duration such as 90s, 45m, 2h`);
  return Math.round(amount * { s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's') as 's' | 'm' | 'h']);
}

function lines(value: string | undefined, separator: RegExp): string[] | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  return value.split(separator).map((line) => line.trim()).filter(Boolean);
}

export function slurmOptionsFromEnv(env: EnvironmentVariables = process.env): SlurmBackendOptions {
  const options: SlurmBackendOptions = {};
  const runtime = oneOf('POLLINATOR_SLURM_RUNTIME', env.POLLINATOR_SLURM_RUNTIME, ['singularity', 'apptainer', 'none'] as const);
  if (runtime) options.runtime = runtime;
  const set = <K extends keyof SlurmBackendOptions>(key: K, value: SlurmBackendOptions[K] | undefined) => {
    if (value !== undefined && value !== '') options[key] = value;
  };
  set('runtimeCommand', env.POLLINATOR_SLURM_RUNTIME_COMMAND);
  set('imageDir', env.POLLINATOR_SLURM_IMAGE_DIR || env.EXECUTOR_IMAGE_DIR);
  set('pullTimeoutMs', duration('POLLINATOR_SLURM_PULL_TIMEOUT', env.POLLINATOR_SLURM_PULL_TIMEOUT));
  set('partition', env.POLLINATOR_SLURM_PARTITION || env.SLURM_PARTITION);
  set('account', env.POLLINATOR_SLURM_ACCOUNT || env.SLURM_ACCOUNT);
  set('qos', env.POLLINATOR_SLURM_QOS);
  set('modules', lines(env.POLLINATOR_SLURM_MODULES, /[,\n]/) ?? lines(env.SLURM_MODULE, /\n/));
  set('sbatchLines', lines(env.POLLINATOR_SLURM_SBATCH_LINES, /\n/));
  set('setupLines', lines(env.POLLINATOR_SLURM_SETUP, /\n/));
  const rocm = bool('EXECUTOR_ROCM', env.EXECUTOR_ROCM) === true;
  set('gpuOption', oneOf('POLLINATOR_SLURM_GPU_OPTION', env.POLLINATOR_SLURM_GPU_OPTION, ['gres', 'gpus-per-node'] as const) ?? (rocm ? 'gpus-per-node' : undefined));
  set('gpuRuntimeFlag', oneOf('POLLINATOR_SLURM_GPU_FLAG', env.POLLINATOR_SLURM_GPU_FLAG, ['nv', 'rocm'] as const) ?? (rocm ? 'rocm' : undefined));
  set('srun', bool('POLLINATOR_SLURM_SRUN', env.POLLINATOR_SLURM_SRUN));
  set('mountWrapper', oneOf('POLLINATOR_SLURM_MOUNT_WRAPPER', env.POLLINATOR_SLURM_MOUNT_WRAPPER, ['bwrap', 'none'] as const));
  const siteEnv: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith('POLLINATOR_SLURM_ENV_') && value !== undefined) siteEnv[name.slice('POLLINATOR_SLURM_ENV_'.length)] = value;
  }
  if (Object.keys(siteEnv).length > 0) options.siteEnv = siteEnv;
  return options;
}
