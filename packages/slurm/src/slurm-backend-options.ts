/** Options of `createSlurmBackend()`, each with its default. */
import { HOST_ENVIRONMENT_NAMES } from '@pollinator/backend';
import type { ContainerRuntime } from './batch-script';
import type { CommandRunner } from './runner';

export const BACKEND_NAME = 'slurm';

export interface SlurmBackendOptions {
  /** `singularity` (default), `apptainer` (same CLI) or `none` (run on the node directly, no image). */
  runtime?: ContainerRuntime;
  /** Program for the runtime; defaults to the runtime's name (found on PATH). */
  runtimeCommand?: string;
  /** SIF cache directory, on a filesystem the compute nodes see. Required for container runtimes. */
  imageDir?: string;
  /** Stop an image pull after this long; the job closes as could-not-start (image). Default 30 minutes. */
  pullTimeoutMs?: number;
  /** Default partition, account and QoS (a project's own placement wins). */
  partition?: string;
  account?: string;
  qos?: string;
  /** How GPUs are requested: `gres` (`--gres=gpu:N`, default) or `gpus-per-node`. */
  gpuOption?: 'gres' | 'gpus-per-node';
  /** Container flag for GPU jobs: `nv` (default) or `rocm`. */
  gpuRuntimeFlag?: 'nv' | 'rocm';
  /** Extra `#SBATCH` lines (`--constraint=gpu`, `--reservation=x`), with or without the `#SBATCH` prefix. */
  sbatchLines?: string[];
  /** Modules loaded in every job (`module load <name>`), e.g. `singularity/3.8.7`. */
  modules?: string[];
  /** Further shell lines run in every job before the command (site setup), verbatim. */
  setupLines?: string[];
  /** Environment for every job and for image pulls (`APPTAINER_CACHEDIR`, proxies…). */
  siteEnv?: Record<string, string>;
  /** Variable-name prefixes that never reach a job. Default `COLONIES_`, `AWS_S3_`, `EXECUTOR_`. */
  secretPrefixes?: string[];
  /**
   * Variables of the executor's own environment passed to Slurm commands (and so
   * to the job, which sbatch exports). Default: PATH, HOME, USER, LOGNAME, LANG,
   * LC_ALL, LC_CTYPE, TZ, TMPDIR, SLURM_CONF. Everything else, the executor's
   * secrets included, stays out.
   */
  passEnv?: string[];
  /** Launch the command through `srun` (once per task). Default true. */
  srun?: boolean;
  /** Runtime `none`: bind mounts with bubblewrap (`bwrap`, default) or require identical paths (`none`). */
  mountWrapper?: 'bwrap' | 'none';
  /** How Slurm and runtime commands are run. Default: local processes. */
  runner?: CommandRunner;
  /** Use `sacct` for jobs `scontrol` no longer knows: `auto` (default) asks Slurm whether accounting is on. */
  accounting?: boolean | 'auto';
  /** How often `logs()` looks for new output, ms. Default 250. */
  logPollIntervalMs?: number;
  /** `status()` results are reused for this long, ms (fewer `scontrol` calls). Default 500. */
  statusCacheMs?: number;
  /** Write `[pollinator] …` notices (image pulls, pending reasons) into the job's log. Default true. */
  notices?: boolean;
  /** A pending reason is written to the log once the job has pended this long, ms. Default 5000. */
  pendingNoticeDelayMs?: number;
  /** How long `cancel()` waits for Slurm to confirm the job is gone, ms. Default 120000. */
  cancelTimeoutMs?: number;
  /** A pending job's place in the queue and start estimate (`squeue`) are read again after this long, ms. Default 15000. */
  queueRefreshMs?: number;
}

/** `passEnv` by default: the host's basics, the locale's character type and where Slurm's configuration is. */
export const DEFAULT_PASS_ENV: readonly string[] = [...HOST_ENVIRONMENT_NAMES, 'LC_CTYPE', 'SLURM_CONF'];
