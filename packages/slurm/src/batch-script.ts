/**
 * The batch script, built as data (`buildBatchScript`) and then rendered
 * (`renderBatchScript`) with POSIX shell quoting for every value. Nothing is
 * templated: a command or env value with quotes, `$`, `&&`, newlines or unicode
 * reaches the job exactly as the user wrote it.
 */
import { BackendError, isSecretEnvironmentName, shortSignalName, slurmCpusPerTask, slurmMemoryPerNode, slurmTimeLimit, type JobRequest } from '@pollinator/backend';
import { bwrapArguments, type PathKind } from './bwrap-wrapper';
import { isShellVariableName, shellJoin, shellQuote } from './shell-quote';

export type ContainerRuntime = 'singularity' | 'apptainer' | 'none';

/** Site settings that shape the batch script (from the executor configuration). */
export interface BatchScriptSettings {
  /** Container runtime; `none` runs the command on the node directly. */
  runtime: ContainerRuntime;
  /** Program that implements the runtime (`singularity`, `apptainer`, or a path). */
  runtimeCommand: string;
  /** SIF file to run (container runtimes only). */
  imagePath?: string;
  /** Default placement; the project's `placement` wins field by field. */
  partition?: string;
  account?: string;
  qos?: string;
  /** How GPUs are requested: `--gres=gpu:N` (default) or `--gpus-per-node=N`. */
  gpuOption: 'gres' | 'gpus-per-node';
  /** Runtime flag for GPU jobs: `--nv` (NVIDIA, default) or `--rocm` (AMD). */
  gpuRuntimeFlag: 'nv' | 'rocm';
  /** Extra `#SBATCH` lines, each without the `#SBATCH ` prefix (e.g. `--constraint=gpu`). */
  sbatchLines: string[];
  /** Modules to load before the job runs (`module load <name>`). */
  modules: string[];
  /** Further shell lines run before the job (site setup), verbatim. */
  setupLines: string[];
  /** Site environment exported before the job's own (e.g. `APPTAINER_CACHEDIR`). */
  siteEnv: Record<string, string>;
  /** Name prefixes of variables that must never reach the job (the executor's secrets). */
  secretPrefixes: string[];
  /** Launch the command with `srun` (once per task: nodes × processes per node). Default true. */
  srun: boolean;
  /**
   * For runtime `none`: how mounts whose container path differs from the host
   * path are made visible. `bwrap` binds them in a private mount namespace
   * (bubblewrap), which also hides the job's protected paths and kills
   * every process of the job with it; `none` requires identical paths and
   * hides nothing.
   */
  mountWrapper: 'bwrap' | 'none';
  /** What is at a host path (for the bubblewrap wrapper; default: `stat` on this machine, which sees the shared filesystem). */
  pathKind?: (path: string) => PathKind;
}

/** The batch script as data. */
export interface BatchScript {
  /** `#SBATCH` options in order, as `[option, value]` (value '' = a flag) or a raw site line. */
  directives: ({ option: string; value: string } | { raw: string })[];
  /** `module load` names. */
  modules: string[];
  /** Site setup lines, verbatim. */
  setupLines: string[];
  /** Variable-name prefixes unset before anything is exported. */
  unsetPrefixes: string[];
  /** Exported variables, in order (site env, then the job env sorted by name). */
  exports: [string, string][];
  /** The launch command line as an argv. */
  run: string[];
  /** Where the script records the exit code of the launch. */
  exitCodeFile: string;
  /** The job's output file (stdout and stderr). */
  outputFile: string;
  /** Job env entries that cannot be exported (not a shell name, or a reserved prefix), and why. */
  skippedEnv: { name: string; why: string }[];
  /**
   * The stop signal's short name (`USR1`) when the job has one: Slurm sends it
   * to the batch shell (`--signal=B:…`), which passes it on to the launch's
   * process group (see `renderLaunch`).
   */
  stopSignal?: string;
}

export const OUTPUT_FILE_NAME = 'output.log';
export const EXIT_CODE_FILE_NAME = 'exit-code';

/** The variables the script exports (site env, then the job env by name) and the job env it cannot export. */
function jobExports(job: JobRequest, settings: BatchScriptSettings): Pick<BatchScript, 'exports' | 'skippedEnv'> {
  const exports: [string, string][] = [];
  for (const [name, value] of Object.entries(settings.siteEnv)) exports.push([checkedName(name, 'site'), value]);
  const skippedEnv: BatchScript['skippedEnv'] = [];
  for (const name of Object.keys(job.env).sort()) {
    if (isSecretEnvironmentName(name, settings.secretPrefixes) && name !== 'COLONIES_PROCESS_ID') {
      skippedEnv.push({ name, why: `names starting with ${settings.secretPrefixes.join(', ')} are reserved for the executor` });
    } else if (!isShellVariableName(name)) {
      // e.g. `SLURM-JOBID` (an ENV attribute that came back in the env of a retried process)
      skippedEnv.push({ name, why: 'not a valid shell variable name' });
    } else {
      exports.push([name, job.env[name]!]);
    }
  }
  return { exports, skippedEnv };
}

/** Builds the batch script of one job. Throws `BackendError` for values Slurm or the runtime cannot carry. */
export function buildBatchScript(job: JobRequest, settings: BatchScriptSettings): BatchScript {
  const { resources } = job;
  const outputFile = `${job.workDir}/${OUTPUT_FILE_NAME}`;
  const exitCodeFile = `${job.workDir}/${EXIT_CODE_FILE_NAME}`;
  const directives: BatchScript['directives'] = [];
  const add = (option: string, value: string | number | undefined) => {
    if (value === undefined || value === '') return;
    directives.push({ option, value: String(value) });
  };
  add('--job-name', job.processId);
  add('--partition', job.placement.partition || settings.partition);
  add('--account', job.placement.account || settings.account);
  add('--qos', job.placement.qos || settings.qos);
  add('--nodes', positiveInteger('nodes', resources.nodes));
  add('--ntasks-per-node', positiveInteger('processes per node', resources.processesPerNode));
  const cpus = slurmCpusPerTask(resources.cpuMillicores);
  if (cpus > 0) add('--cpus-per-task', cpus);
  add('--mem', slurmMemoryPerNode(resources.memoryBytes));
  add('--time', slurmTimeLimit(resources.walltimeSeconds));
  const gpus = Math.max(0, Math.floor(resources.gpu.count));
  if (gpus > 0) {
    if (settings.gpuOption === 'gpus-per-node') add('--gpus-per-node', gpus);
    else add('--gres', `gpu:${gpus}`);
  }
  add('--chdir', job.workDir);
  add('--output', outputFile);
  directives.push({ option: '--open-mode', value: 'append' });
  const stopSignal = job.stopSignal ? shortSignalName(job.stopSignal.signal) : undefined;
  if (job.stopSignal) add('--signal', `B:${stopSignal}@${job.stopSignal.beforeSeconds}`);
  for (const line of settings.sbatchLines) {
    const raw = line.trim().replace(/^#SBATCH\s+/, '');
    if (raw === '' || /[\r\n]/.test(raw)) throw new BackendError('slurm', `Invalid site #SBATCH line ${JSON.stringify(line)}`);
    directives.push({ raw });
  }

  const { exports, skippedEnv } = jobExports(job, settings);

  const shellArgv = commandArgv(job.initCommand, job.command);
  const run: string[] = [];
  if (settings.srun) {
    run.push('srun');
    if (cpus > 0) run.push(`--cpus-per-task=${cpus}`);
  }
  if (settings.runtime === 'none') {
    if (settings.mountWrapper === 'bwrap') {
      const bwrap = bwrapArguments(job, settings.pathKind);
      // Slurm signals every process of the step, bwrap too, which would die of a stop signal and take the job
      // with it: bwrap ignores it, and the job inside gets its default back (coreutils env).
      if (stopSignal) run.push('env', `--ignore-signal=${stopSignal}`, ...bwrap, 'env', `--default-signal=${stopSignal}`);
      else run.push(...bwrap);
    } else {
      // No wrapper: the job sees and reaches every host path, protected ones included (docs/security.md).
      const moved = job.mounts.filter((mount) => mount.hostPath !== mount.containerPath);
      if (moved.length > 0) {
        throw new BackendError('slurm', `Runtime "none" cannot show ${moved[0]!.hostPath} at ${moved[0]!.containerPath} (mountWrapper is "none"): use a container runtime, mountWrapper "bwrap", or an executor directory equal to the mount path`);
      }
    }
    run.push(...shellArgv);
  } else {
    if (!settings.imagePath) throw new BackendError('slurm', 'No container image for the job');
    // --contain: no $HOME, /tmp or other host directory beyond the job's own binds.
    run.push(settings.runtimeCommand, 'exec', '--contain');
    if (gpus > 0) run.push(`--${settings.gpuRuntimeFlag}`);
    for (const mount of job.mounts) {
      for (const path of [mount.hostPath, mount.containerPath]) {
        if (/[,:]/.test(path)) throw new BackendError('slurm', `Cannot bind ${JSON.stringify(path)} into the container: the path contains "," or ":"`);
      }
      run.push('--bind', `${mount.hostPath}:${mount.containerPath}`);
    }
    run.push(settings.imagePath, ...shellArgv);
  }
  return {
    directives,
    modules: settings.modules,
    setupLines: settings.setupLines,
    unsetPrefixes: settings.secretPrefixes,
    exports,
    run,
    exitCodeFile,
    outputFile,
    skippedEnv,
    ...(stopSignal ? { stopSignal } : {}),
  };
}

/**
 * The launch line(s). With a stop signal the batch shell runs the launch in
 * the background in a session of its own and waits: bash runs a trap only
 * once its foreground command ends, which would be too late, and the trap
 * passes the signal to the launch's whole process group (srun forwards it to
 * every task; a container runtime's processes and the job's are in the group).
 * `wait` returns early (128+n) when the trap runs, hence the loop; the last
 * `wait` gives the launch's own status, also when the launch ended while the
 * trap ran (a job that ends on the signal at once must not read as killed by it).
 */
function renderLaunch(script: BatchScript): string[] {
  if (!script.stopSignal) return [shellJoin(script.run), 'pollinator_exit=$?'];
  const signal = script.stopSignal;
  return [
    `# The stop signal (sbatch --signal=B:${signal}@…) goes on to every process of the launch.`,
    `trap 'kill -s ${signal} -- -"$pollinator_launch" 2>/dev/null' ${signal}`,
    `setsid ${shellJoin(script.run)} &`,
    'pollinator_launch=$!',
    'while kill -0 "$pollinator_launch" 2>/dev/null; do wait "$pollinator_launch"; done',
    'wait "$pollinator_launch"; pollinator_exit=$?',
  ];
}

/**
 * `sh -c` argv for the command. An init command runs first in the same shell
 * (its exports are seen by the command); when it fails the job stops with its
 * exit code. (The original joined them as `init;cmd`, so a failing init was ignored.)
 */
function commandArgv(initCommand: string, command: string): string[] {
  if (initCommand.trim() === '') return ['/bin/sh', '-c', command];
  return ['/bin/sh', '-c', 'eval "$1" || exit; eval "$2"', 'sh', initCommand, command];
}

function positiveInteger(what: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new BackendError('slurm', `Invalid ${what}: ${value} (must be a whole number of at least 1)`);
  return value;
}

function checkedName(name: string, origin: string): string {
  if (!isShellVariableName(name)) {
    throw new BackendError('slurm', `Invalid ${origin} environment variable name ${JSON.stringify(name)}: use letters, digits and "_", not starting with a digit`);
  }
  return name;
}

/**
 * One `#SBATCH` value. sbatch reads these lines itself (not through a shell):
 * it understands double quotes, so values with spaces are double-quoted, and a
 * value that contains `"` or a line break cannot be expressed at all.
 */
function directiveValue(option: string, value: string): string {
  if (/["\r\n]/.test(value)) throw new BackendError('slurm', `Cannot pass ${option} ${JSON.stringify(value)} to sbatch: it contains a double quote or a line break`);
  return /[\s#'\\]/.test(value) ? `"${value}"` : value;
}

/** Renders the script text. Deterministic: the same data gives the same bytes (golden tests). */
export function renderBatchScript(script: BatchScript): string {
  const lines: string[] = ['#!/bin/bash', '# Generated by @pollinator/slurm. Every value below is shell-quoted.'];
  for (const directive of script.directives) {
    if ('raw' in directive) lines.push(`#SBATCH ${directive.raw}`);
    else lines.push(`#SBATCH ${directive.option}=${directiveValue(directive.option, directive.value)}`);
  }
  lines.push('');
  if (script.modules.length > 0 || script.setupLines.length > 0) {
    lines.push('# Site setup (executor configuration).');
    for (const module of script.modules) lines.push(`module load ${shellJoin(module.split(/\s+/).filter(Boolean))}`);
    lines.push(...script.setupLines);
    lines.push('');
  }
  if (script.unsetPrefixes.length > 0) {
    const patterns = script.unsetPrefixes.map((prefix) => `${prefix.replace(/[^A-Za-z0-9_]/g, '')}*`).join('|');
    lines.push("# The executor's own secrets never reach the job.");
    lines.push(`for pollinator_name in $(compgen -e); do case $pollinator_name in ${patterns}) unset "$pollinator_name" 2>/dev/null;; esac; done`);
    lines.push('unset pollinator_name');
    lines.push('');
  }
  if (script.exports.length > 0) {
    lines.push('# The job environment.');
    for (const [name, value] of script.exports) lines.push(`export ${name}=${shellQuote(value)}`);
    lines.push('');
  }
  lines.push(...renderLaunch(script));
  lines.push(`printf '%s %s\\n' "$SLURM_JOB_ID" "$pollinator_exit" > ${shellQuote(script.exitCodeFile)}`);
  lines.push('exit "$pollinator_exit"');
  return `${lines.join('\n')}\n`;
}
