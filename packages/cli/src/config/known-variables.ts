/** One environment variable pollinator (any of its packages) reads. */
export interface ConfigVariable {
  name: string;
  description: string;
  /** Shown masked by `pollinator config`, never printed in full. */
  secret: boolean;
  group: 'colony' | 's3' | 'pollinator' | 'slurm' | 'kubernetes';
}

/**
 * Every variable pollinator reads, in one place: those of the original
 * Pollinator and the ColonyOS tools (`COLONIES_*`, `AWS_S3_*`,
 * `COLONYOS_DASHBOARD_URL`) plus pollinator's own (`POLLINATOR_*`), whichever
 * package reads them. `pollinator config` calls anything else with these
 * prefixes "not read". A test reads the source of every package and fails
 * when a variable read there is missing here.
 */
export const KNOWN_VARIABLES: readonly ConfigVariable[] = [
  { name: 'COLONIES_SERVER_HOST', description: 'Colonies server host; setting it switches from the embedded default to that colony', secret: false, group: 'colony' },
  { name: 'COLONIES_SERVER_PORT', description: 'Colonies server port', secret: false, group: 'colony' },
  { name: 'COLONIES_SERVER_HTTP_PORT', description: 'Colonies server port, read before COLONIES_SERVER_PORT (as the Go CLI does)', secret: false, group: 'colony' },
  { name: 'COLONIES_TLS', description: '"true": https/wss, "false": http/ws', secret: false, group: 'colony' },
  { name: 'COLONIES_SERVER_TLS', description: 'older name of COLONIES_TLS (read when COLONIES_TLS is unset)', secret: false, group: 'colony' },
  { name: 'COLONIES_SKIP_TLS_VERIFY', description: '"true": accept any TLS certificate', secret: false, group: 'colony' },
  { name: 'COLONIES_COLONY_NAME', description: 'the colony to submit to', secret: false, group: 'colony' },
  { name: 'COLONIES_PRVKEY', description: 'your private key (a user or executor of the colony)', secret: true, group: 'colony' },
  { name: 'COLONIES_COLONY_PRVKEY', description: 'colony owner key (executor self-registration)', secret: true, group: 'colony' },
  { name: 'COLONIES_SERVER_PRVKEY', description: 'server owner key (administration only)', secret: true, group: 'colony' },
  { name: 'COLONIES_EXECUTOR_NAME', description: 'executor name (`pollinator executor start`)', secret: false, group: 'colony' },
  { name: 'COLONIES_EXECUTOR_TYPE', description: 'executor type (`pollinator executor start`)', secret: false, group: 'colony' },
  { name: 'COLONYOS_DASHBOARD_URL', description: 'dashboard base URL; `run` prints <url>/process?processid=<id>', secret: false, group: 'colony' },
  { name: 'AWS_S3_ENDPOINT', description: 'S3 endpoint as host:port (no scheme)', secret: false, group: 's3' },
  { name: 'AWS_S3_ACCESSKEY', description: 'S3 access key', secret: true, group: 's3' },
  { name: 'AWS_S3_SECRETKEY', description: 'S3 secret key', secret: true, group: 's3' },
  { name: 'AWS_S3_REGION', description: 'S3 region', secret: false, group: 's3' },
  { name: 'AWS_S3_BUCKET', description: 'S3 bucket', secret: false, group: 's3' },
  { name: 'AWS_S3_TLS', description: '"true": https to S3', secret: false, group: 's3' },
  { name: 'AWS_S3_SKIPVERIFY', description: '"true": skip S3 certificate verification', secret: false, group: 's3' },
  { name: 'POLLINATOR_PROFILE', description: 'profile to read (name or path); same as --profile', secret: false, group: 'pollinator' },
  { name: 'POLLINATOR_DATA_DIR', description: 'where the embedded default keeps its state', secret: false, group: 'pollinator' },
  { name: 'POLLINATOR_CONFIG_DIR', description: 'where profiles live (<dir>/profiles/<name>.env)', secret: false, group: 'pollinator' },
  { name: 'POLLINATOR_CACHE_DIR', description: "where the sync keeps its stat cache (default: the platform's cache directory)", secret: false, group: 'pollinator' },
  { name: 'POLLINATOR_BLOB_DIR', description: 'a local directory as blob store instead of S3 (a colony on this machine, as `pollinator dev` writes)', secret: false, group: 'pollinator' },
  { name: 'POLLINATOR_DEV_IDLE_TIMEOUT', description: 'how long the embedded default keeps running without commands', secret: false, group: 'pollinator' },
  { name: 'POLLINATOR_DEV_SERVER_LOG', description: "the embedded server's log level (default silent)", secret: false, group: 'pollinator' },
  { name: 'POLLINATOR_LOCAL_ISOLATION', description: '`executor start --backend local`: auto, bwrap (require bubblewrap) or rewrite', secret: false, group: 'pollinator' },
  { name: 'POLLINATOR_TEST_SSHD', description: 'the sshd program the SSH tunnel tests start (default /usr/sbin/sshd)', secret: false, group: 'pollinator' },
  { name: 'POLLINATOR_FORWARD_PORTS', description: "set in a job's environment, not by you: the ports `pollinator forward` may reach (from project.yaml's tunnel)", secret: false, group: 'pollinator' },
  { name: 'POLLINATOR_SLOW_TESTS', description: '"1": the backend conformance kit also runs its slow cases', secret: false, group: 'pollinator' },
  { name: 'POLLINATOR_SLURM_RUNTIME', description: 'singularity (default), apptainer or none', secret: false, group: 'slurm' },
  { name: 'POLLINATOR_SLURM_RUNTIME_COMMAND', description: 'path of the singularity/apptainer program', secret: false, group: 'slurm' },
  { name: 'POLLINATOR_SLURM_IMAGE_DIR', description: 'SIF image cache on a filesystem the compute nodes see', secret: false, group: 'slurm' },
  { name: 'POLLINATOR_SLURM_PULL_TIMEOUT', description: 'stop an image pull after this long (default 30m)', secret: false, group: 'slurm' },
  { name: 'POLLINATOR_SLURM_PARTITION', description: 'default partition', secret: false, group: 'slurm' },
  { name: 'POLLINATOR_SLURM_ACCOUNT', description: 'default account', secret: false, group: 'slurm' },
  { name: 'POLLINATOR_SLURM_QOS', description: 'default QoS', secret: false, group: 'slurm' },
  { name: 'POLLINATOR_SLURM_MODULES', description: 'modules to load in every job', secret: false, group: 'slurm' },
  { name: 'POLLINATOR_SLURM_SBATCH_LINES', description: 'extra #SBATCH lines, one per line', secret: false, group: 'slurm' },
  { name: 'POLLINATOR_SLURM_SETUP', description: 'shell lines run in every job before the command', secret: false, group: 'slurm' },
  { name: 'POLLINATOR_SLURM_GPU_OPTION', description: 'gres (default) or gpus-per-node', secret: false, group: 'slurm' },
  { name: 'POLLINATOR_SLURM_GPU_FLAG', description: 'nv (default) or rocm', secret: false, group: 'slurm' },
  { name: 'POLLINATOR_SLURM_SRUN', description: 'true (default): launch through srun; false: run in the batch shell', secret: false, group: 'slurm' },
  { name: 'POLLINATOR_SLURM_MOUNT_WRAPPER', description: 'runtime none: bwrap (default) or none', secret: false, group: 'slurm' },
  { name: 'POLLINATOR_K8S_NAMESPACE', description: 'namespace of the jobs', secret: false, group: 'kubernetes' },
  { name: 'POLLINATOR_K8S_PVC', description: 'the shared volume claim', secret: false, group: 'kubernetes' },
  { name: 'POLLINATOR_K8S_PVC_PATH', description: "where the executor sees the shared volume", secret: false, group: 'kubernetes' },
  { name: 'POLLINATOR_K8S_PENDING_TIMEOUT', description: 'how long a job may stay pending', secret: false, group: 'kubernetes' },
  { name: 'POLLINATOR_K8S_TTL', description: 'how long finished jobs are kept', secret: false, group: 'kubernetes' },
  { name: 'POLLINATOR_K8S_GPU_NODE_LABEL', description: 'node label that selects GPU nodes', secret: false, group: 'kubernetes' },
  { name: 'POLLINATOR_K8S_JOB_SERVICE_ACCOUNT', description: 'service account of the jobs', secret: false, group: 'kubernetes' },
  { name: 'POLLINATOR_K8S_IMAGE_PULL_SECRETS', description: 'image pull secrets (comma list)', secret: false, group: 'kubernetes' },
];

/** Families read by prefix: `POLLINATOR_SLURM_ENV_<NAME>` exports `<NAME>` in every Slurm job. */
export const KNOWN_VARIABLE_PREFIXES: readonly string[] = ['POLLINATOR_SLURM_ENV_'];

/** Is `name` read by pollinator (one of the list, or of a family read by prefix)? */
export function isKnownVariable(name: string): boolean {
  return KNOWN_VARIABLES.some((variable) => variable.name === name) || KNOWN_VARIABLE_PREFIXES.some((prefix) => name.startsWith(prefix) && name.length > prefix.length);
}

/** Edit distance (insertions, deletions, substitutions, adjacent swaps) between two short names. */
function distance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}

/**
 * The known variable an unknown name is probably a typo of
 * (`COLONIES_SERVR_HOST` → `COLONIES_SERVER_HOST`), or undefined when none is
 * close: at most 3 edits, and fewer than a quarter of the name.
 */
export function suggestVariable(name: string): string | undefined {
  if (name.length > 64) return undefined;
  let best: { name: string; distance: number } | undefined;
  for (const variable of KNOWN_VARIABLES) {
    const d = distance(name, variable.name);
    if (best === undefined || d < best.distance) best = { name: variable.name, distance: d };
  }
  if (best === undefined || best.distance === 0) return undefined;
  return best.distance <= Math.min(3, Math.floor(name.length / 4)) ? best.name : undefined;
}

/** One line per set variable that looks like a typo of one pollinator reads ("… did you mean …?"). */
export function variableTypos(variables: readonly { name: string }[]): string[] {
  return variables.flatMap((variable) => {
    if (isKnownVariable(variable.name)) return [];
    const suggestion = suggestVariable(variable.name);
    return suggestion === undefined ? [] : [`${variable.name} is not read by pollinator: did you mean ${suggestion}?`];
  });
}
