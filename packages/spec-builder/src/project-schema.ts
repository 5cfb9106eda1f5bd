import { z } from 'zod';
import { containsNulOrLineBreak, SPEC_LIMITS, utf8ByteLength } from './limits';
import { quote, unicodeEscape } from './quote';
import { MAX_RETRY_FACTOR, RETRY_ON_VALUES } from './retry-policy';
import {
  CPU_ALLOWED,
  CPU_PATTERN,
  MAX_NODES,
  MAX_PROCESSES_PER_NODE,
  MEMORY_ALLOWED,
  MEMORY_PATTERN,
  WALLTIME_ALLOWED,
  validateCpu,
  validateMemory,
} from './resources';
import { STOP_SIGNAL_ALLOWED, stopSignalSchema } from './stop-signal';

/**
 * The `project.yaml` schema. The keys of the original (Go) Pollinator are kept
 * exactly (`projectname`, `conditions.processesPerNode`, `environment.init-cmd`,
 * …) so existing projects load unchanged; everything added here is optional.
 * Objects are strict: an unknown key is an error (with a suggestion).
 *
 * `docs/project-yaml.md` is the user reference; `project.schema.json` is
 * generated from this file (`pnpm --filter @pollinator/spec-builder generate:schema`).
 */

/** The executor type the original Pollinator always targets. */
export const DEFAULT_EXECUTOR_TYPE = 'container-executor';
/** `maxretries` of the original Pollinator. */
export const DEFAULT_RETRIES = 3;
/** Upper bound for `retries`: a process is re-queued at most this often after an exec timeout. */
export const MAX_RETRIES = SPEC_LIMITS.retries;

export const PROJECT_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Variables the executor sets itself or must keep away from the job. */
export const RESERVED_ENV_NAMES = ['PROJECT_DIR', 'COLONIES_PROCESS_ID'] as const;
export const RESERVED_ENV_PREFIXES = ['COLONIES_', 'EXECUTOR_', 'AWS_S3_'] as const;

export const RESULT_DOWNLOAD_POLICIES = ['always', 'on-success', 'never'] as const;
export type ResultDownloadPolicy = (typeof RESULT_DOWNLOAD_POLICIES)[number];

/**
 * What `pollinator run` does with a symlink in cfs/src or cfs/data: `skip`
 * (default: never uploaded, only listed), `inside` (upload what it points to
 * when the real target is inside the project directory), `follow` (upload
 * whatever it points to).
 */
export const SYMLINK_POLICIES = ['skip', 'inside', 'follow'] as const;
export type SymlinkPolicy = (typeof SYMLINK_POLICIES)[number];

/** What each field accepts, in words, for error messages (keyed by dotted path, `*` for any map key). */
export const ALLOWED: Record<string, string> = {
  '': 'a mapping with the keys projectname, conditions, environment and optionally slurm, retries, retryOn, retryGrowth, result, sync, tunnel',
  projectname:
    'a name of letters, digits, ".", "_" and "-" (no spaces, "/" or ":"), at most 128 characters, e.g. "my-project"',
  conditions: 'a mapping with nodes, processesPerNode, cpu, mem, walltime and optionally executorNames, executorType, gpu',
  'conditions.executorNames': 'a list of executor names, e.g. [lumi-std]; empty or absent means any executor',
  'conditions.executorNames.*': 'an executor name (a non-empty string)',
  'conditions.executorType': `an executor type (a non-empty string); default "${DEFAULT_EXECUTOR_TYPE}"`,
  'conditions.nodes': `a whole number from 1 to ${MAX_NODES} (the server never assigns more)`,
  'conditions.processesPerNode': `a whole number from 1 to ${MAX_PROCESSES_PER_NODE} (the server never assigns more)`,
  'conditions.cpu': CPU_ALLOWED,
  'conditions.mem': MEMORY_ALLOWED,
  'conditions.walltime': WALLTIME_ALLOWED,
  'conditions.gpu': 'a mapping with count and name',
  'conditions.gpu.count': `a whole number of GPUs per node from 0 to ${SPEC_LIMITS.gpuCount}`,
  'conditions.gpu.name': 'a GPU model name (Kubernetes node label "accelerator"), or "" for any',
  environment: 'a mapping with docker, cmd and optionally init-cmd, source, rebuildImage, env, stopSignal',
  'environment.docker': 'a container image reference on one line, not starting with "-", e.g. "python:3.12-slim"',
  'environment.rebuildImage': 'true or false',
  'environment.init-cmd': 'a shell command on one line run before cmd, e.g. "pip3 install numpy", or ""; join several with &&',
  'environment.cmd': 'a command on one line, e.g. "python3"',
  'environment.source':
    'a path relative to cfs/src, without ".." and not absolute, e.g. "main.py" or "my script.py"; it is appended to cmd as one argument',
  'environment.env': 'a mapping of environment variable names to values',
  'environment.env.*': 'a string on one line, number or boolean (numbers and booleans are passed as text)',
  'environment.env.<name>':
    'letters, digits and "_", not starting with a digit; not PROJECT_DIR or COLONIES_PROCESS_ID, not starting with COLONIES_, EXECUTOR_ or AWS_S3_',
  ...STOP_SIGNAL_ALLOWED,
  slurm: 'a mapping with optional account, partition and qos',
  'slurm.account': 'a Slurm account name (sbatch --account)',
  'slurm.partition': 'a Slurm partition name (sbatch --partition)',
  'slurm.qos': 'a Slurm quality of service name (sbatch --qos)',
  retries: `a whole number from 1 to ${MAX_RETRIES}: how many more attempts a failed process gets (for the causes in retryOn)`,
  retryOn: `a list of causes a failed attempt is retried after, from ${RETRY_ON_VALUES.map((value) => `"${value}"`).join(', ')}; default [node-failure, preempted]; [] retries nothing`,
  'retryOn.*': `one of ${RETRY_ON_VALUES.map((value) => `"${value}"`).join(', ')}`,
  retryGrowth: 'a mapping with optional memoryFactor and walltimeFactor',
  'retryGrowth.memoryFactor': `a number from 1 to ${MAX_RETRY_FACTOR}: conditions.mem is multiplied by it for each retry after an out-of-memory kill`,
  'retryGrowth.walltimeFactor': `a number from 1 to ${MAX_RETRY_FACTOR}: conditions.walltime is multiplied by it for each retry after a time limit`,
  result: 'a mapping with download',
  'result.download': 'one of "always" (also after a failure), "on-success" or "never"',
  sync: 'a mapping with symlinks',
  'sync.symlinks':
    'one of "skip" (default: symlinks are listed, never uploaded), "inside" (upload the target when it is inside the project directory) or "follow" (upload whatever a symlink points to)',
  tunnel:
    'a mapping with port (or remotePort) and optionally localPort; for an SSH tunnel also user, jumpHost, sshKey and optionally jumpHostPort; or null for none',
  'tunnel.mode': `one of ${'"forward"'} (default: keyless, through the colony) or "ssh" (default when jumpHost is set)`,
  'tunnel.port': 'a TCP port from 1 to 65535 on the first node of the job',
  'tunnel.remotePort': 'a TCP port from 1 to 65535 on the first node of the job (the original Pollinator\'s name for port)',
  'tunnel.localPort': 'a TCP port from 1 to 65535 on this machine; default the same as port',
  'tunnel.user': 'the SSH user name on the jump host',
  'tunnel.jumpHost': 'the SSH host name of the jump (login) host, e.g. "lumi.csc.fi"',
  'tunnel.jumpHostPort': 'the SSH port of the jump host, from 1 to 65535; default 22',
  'tunnel.sshKey': 'the path of the SSH private key file (~ is this user\'s home directory)',
};

const allowed = (path: string): string => ALLOWED[path] ?? 'see docs/project-yaml.md';
const message = (path: string) => ({ error: () => allowed(path) });

/** JSON Schema pattern of a string without NUL or line breaks (what `containsNulOrLineBreak` refuses). */
export const ONE_LINE_PATTERN = '^[^\\u0000\\n\\r\\u000b\\f\\u0085\\u2028\\u2029]*$';

/** Where a NUL or line break is in `text`, for the message. */
function describeBreak(text: string): string {
  const index = [...text].findIndex((character) => containsNulOrLineBreak(character));
  const character = [...text][index] ?? '';
  const names: Record<string, string> = { '\0': 'a NUL character', '\n': 'a line feed (\\n)', '\r': 'a carriage return (\\r)' };
  const name = names[character] ?? `a line break (${unicodeEscape(character)})`;
  return `${name} at character ${index + 1}`;
}

/**
 * A string that reaches a command line, an image name, Slurm or the job's
 * environment: one line, no NUL (neither can pass through `/bin/sh -c`, an
 * exec argument, an `#SBATCH` line or Slurm's `--export` intact, and they
 * used to fail only on the cluster with a misleading exit code), and at most
 * `SPEC_LIMITS.maxStringBytes`.
 */
export function refineSpecText(text: string, context: z.core.$RefinementCtx<string>): void {
  if (containsNulOrLineBreak(text)) {
    context.addIssue({ code: 'custom', message: `contains ${describeBreak(text)}; the value must be one line without NUL characters` });
  }
  const bytes = utf8ByteLength(text);
  if (bytes > SPEC_LIMITS.maxStringBytes) {
    context.addIssue({ code: 'custom', message: `is ${bytes} bytes long; the limit is ${SPEC_LIMITS.maxStringBytes} bytes` });
  }
}

/** `z.string()` refined by `refineSpecText`, with the bounds in the JSON Schema. */
const specText = (path: string) =>
  z.string(message(path)).superRefine(refineSpecText).meta({ maxLength: SPEC_LIMITS.maxStringBytes, pattern: ONE_LINE_PATTERN });

const name = (path: string) => specText(path).min(1, message(path));
const port = (path: string) => z.int(message(path)).min(1, message(path)).max(65535, message(path));

const cpuSchema = z
  .string(message('conditions.cpu'))
  .superRefine((cpu, context) => {
    const problem = validateCpu(cpu);
    if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
  })
  .meta({ pattern: CPU_PATTERN.source });

const memorySchema = z
  .string(message('conditions.mem'))
  .superRefine((mem, context) => {
    const problem = validateMemory(mem);
    if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
  })
  .meta({ pattern: MEMORY_PATTERN.source });

const walltimeSchema = z
  .int(message('conditions.walltime'))
  .min(1, message('conditions.walltime'))
  .max(SPEC_LIMITS.walltimeSeconds, {
    error: `walltime is more than ${SPEC_LIMITS.walltimeSeconds} seconds (365 days), the most a spec may ask for`,
  });

const envValue = z
  .union([z.string(), z.number(), z.boolean()], message('environment.env.*'))
  .transform((value) => String(value))
  .pipe(z.string().superRefine(refineSpecText));

const envName = z
  .string()
  .meta({ pattern: ENV_NAME_PATTERN.source })
  .superRefine((key, context) => {
  if (!ENV_NAME_PATTERN.test(key)) {
    context.addIssue({ code: 'custom', message: `${quote(key)} is not a valid environment variable name` });
  } else if ((RESERVED_ENV_NAMES as readonly string[]).includes(key)) {
    context.addIssue({ code: 'custom', message: `${key} is set by Pollinator itself` });
  } else {
    const prefix = RESERVED_ENV_PREFIXES.find((reserved) => key.startsWith(reserved));
    if (prefix !== undefined) {
      context.addIssue({ code: 'custom', message: `variables starting with ${prefix} are reserved for the executor` });
    }
  }
});

const sourceSchema = specText('environment.source').superRefine((source, context) => {
  if (source === '' || containsNulOrLineBreak(source)) return;
  if (source.startsWith('/') || /^[A-Za-z]:[\\/]/.test(source)) {
    context.addIssue({ code: 'custom', message: 'source must be relative to cfs/src' });
  } else if (source.split(/[\\/]/).includes('..')) {
    context.addIssue({ code: 'custom', message: 'source must stay inside cfs/src (no "..")' });
  }
});

export const gpuSchema = z
  .strictObject(
    {
      count: z
        .int(message('conditions.gpu.count'))
        .min(0, message('conditions.gpu.count'))
        .max(SPEC_LIMITS.gpuCount, message('conditions.gpu.count'))
        .default(0)
        .describe('GPUs per node (Slurm --gres=gpu:N, Kubernetes nvidia.com/gpu per container).'),
      name: specText('conditions.gpu.name')
        .default('')
        .describe('GPU model; Kubernetes executors select nodes labelled accelerator=<name>. Ignored by Slurm.'),
    },
    message('conditions.gpu'),
  )
  .describe('GPUs for the job.');

export const conditionsSchema = z
  .strictObject(
    {
      executorNames: z
        .array(name('conditions.executorNames.*'), message('conditions.executorNames'))
        .default([])
        .describe('Run only on these executors (by name). Empty: any executor of executorType in the colony.'),
      executorType: name('conditions.executorType')
        .default(DEFAULT_EXECUTOR_TYPE)
        .describe(`Executor type to target. Default "${DEFAULT_EXECUTOR_TYPE}" (the only type the original Pollinator used).`),
      nodes: z
        .int(message('conditions.nodes'))
        .min(1, message('conditions.nodes'))
        .max(MAX_NODES, message('conditions.nodes'))
        .default(1)
        .describe('Number of nodes (Slurm --nodes; Kubernetes Job parallelism). 1 to 127.'),
      processesPerNode: z
        .int(message('conditions.processesPerNode'))
        .min(1, message('conditions.processesPerNode'))
        .max(MAX_PROCESSES_PER_NODE, message('conditions.processesPerNode'))
        .default(1)
        .describe('Processes (tasks) per node (Slurm --ntasks-per-node; containers per pod). 1 to 127.'),
      cpu: cpuSchema.describe(
        'CPU per process in millicores, e.g. "1000m". Slurm rounds up to whole cores (--cpus-per-task); Kubernetes uses it as the container CPU limit.',
      ),
      mem: memorySchema.describe(
        'Memory, e.g. "1000Mi" or "4Gi". Per node on Slurm (--mem), per container on Kubernetes.',
      ),
      walltime: walltimeSchema.describe(
        'Wall-clock limit in seconds (Slurm --time, Kubernetes activeDeadlineSeconds). Also the process exec time limit.',
      ),
      gpu: gpuSchema.default({ count: 0, name: '' }),
    },
    message('conditions'),
  )
  .describe('Where the job runs and what resources it gets.');

export const environmentSchema = z
  .strictObject(
    {
      docker: name('environment.docker')
        .refine((image) => !image.startsWith('-'), { error: 'an image reference cannot start with "-" (it would be read as an option)' })
        .describe('Container image, e.g. "python:3.12-slim".'),
      rebuildImage: z
        .boolean(message('environment.rebuildImage'))
        .default(false)
        .describe('Pull / rebuild the image even if the executor has a cached copy.'),
      'init-cmd': specText('environment.init-cmd')
        .default('')
        .describe('Shell command run before cmd in the same container, e.g. "pip3 install numpy".'),
      cmd: name('environment.cmd').describe('Command to run, e.g. "python3". The source file path is appended to it.'),
      source: sourceSchema
        .optional()
        .describe('Entry file relative to cfs/src, e.g. "main.py". It runs as <cmd> $PROJECT_DIR/<snapshot>/src/<source>.'),
      env: z
        .record(envName, envValue, message('environment.env'))
        .default({})
        .describe('Extra environment variables for the job (besides PROJECT_DIR and COLONIES_PROCESS_ID).'),
      stopSignal: stopSignalSchema.optional(),
    },
    message('environment'),
  )
  .describe('What runs: image, command and environment.');

export const slurmSchema = z
  .strictObject(
    {
      account: name('slurm.account').optional().describe('Slurm account to charge (sbatch --account).'),
      partition: name('slurm.partition').optional().describe('Slurm partition (sbatch --partition).'),
      qos: name('slurm.qos').optional().describe('Slurm quality of service (sbatch --qos).'),
    },
    message('slurm'),
  )
  .describe('Slurm placement. Executors that do not run Slurm ignore it; when absent the executor uses its defaults.');

export const resultSchema = z
  .strictObject(
    {
      download: z
        .enum(RESULT_DOWNLOAD_POLICIES, message('result.download'))
        .default('always')
        .describe('When `pollinator run` downloads cfs/result: "always" (default, also after a failure), "on-success", "never".'),
    },
    message('result'),
  )
  .describe('What happens to cfs/result after a run.');

export const syncSchema = z
  .strictObject(
    {
      symlinks: z
        .enum(SYMLINK_POLICIES, message('sync.symlinks'))
        .default('skip')
        .describe(
          'Symlinks in cfs/src and cfs/data: "skip" (default, listed but never uploaded), "inside" (upload the target when it resolves inside the project directory), "follow" (upload whatever it points to).',
        ),
    },
    message('sync'),
  )
  .describe('How `pollinator run` uploads cfs/src and cfs/data.');

/** How a tunnel reaches the job: through the colony's process channels (no keys), or the original's SSH jump host. */
export const TUNNEL_MODES = ['forward', 'ssh'] as const;
export type TunnelMode = (typeof TUNNEL_MODES)[number];

/** The fields only an SSH tunnel has (the original Pollinator's tunnel block). */
const SSH_TUNNEL_FIELDS = ['user', 'jumpHost', 'jumpHostPort', 'sshKey'] as const;

/**
 * `tunnel:` accepts our shape (`port`, `localPort`) and the original
 * Pollinator's (`user`, `jumpHost`, `jumpHostPort`, `sshKey`, `localPort`,
 * `remotePort`) so a project written by the Go `pollinator new` or its
 * examples loads as it is; `tunnel: null` (what the Go `new` writes) is no
 * tunnel.
 */
export const tunnelSchema = z
  .strictObject(
    {
      mode: z
        .enum(TUNNEL_MODES, message('tunnel.mode'))
        .optional()
        .describe('"forward" (keyless, through the colony; default) or "ssh" (through a jump host; default when jumpHost is set).'),
      port: port('tunnel.port').optional().describe('Port the job listens on, on the first node it runs on.'),
      remotePort: port('tunnel.remotePort').optional().describe('The original Pollinator\'s name for port.'),
      localPort: port('tunnel.localPort').optional().describe('Local port to forward; default the same as port.'),
      user: name('tunnel.user').optional().describe('SSH tunnel: the user on the jump host.'),
      jumpHost: name('tunnel.jumpHost').optional().describe('SSH tunnel: the jump (login) host.'),
      jumpHostPort: port('tunnel.jumpHostPort').optional().describe('SSH tunnel: the jump host\'s SSH port; default 22.'),
      sshKey: name('tunnel.sshKey').optional().describe('SSH tunnel: the private key file.'),
    },
    message('tunnel'),
  )
  .superRefine((tunnel, context) => {
    if (tunnel.port === undefined && tunnel.remotePort === undefined) {
      context.addIssue({ code: 'custom', message: 'the job\'s port is missing: set port (or remotePort, as the original Pollinator)', path: ['port'] });
    } else if (tunnel.port !== undefined && tunnel.remotePort !== undefined && tunnel.port !== tunnel.remotePort) {
      context.addIssue({ code: 'custom', message: `port ${tunnel.port} and remotePort ${tunnel.remotePort} disagree: they name the same port, keep one`, path: ['remotePort'] });
    }
    const mode = tunnel.mode ?? (tunnel.jumpHost === undefined ? 'forward' : 'ssh');
    if (mode === 'ssh') {
      for (const field of ['user', 'jumpHost', 'sshKey'] as const) {
        if (tunnel[field] === undefined) {
          context.addIssue({ code: 'custom', message: `an SSH tunnel needs ${field}: ${allowed(`tunnel.${field}`)}`, path: [field] });
        }
      }
    } else {
      for (const field of SSH_TUNNEL_FIELDS) {
        if (tunnel[field] !== undefined) {
          context.addIssue({ code: 'custom', message: `${field} is for an SSH tunnel (mode: ssh); a forward through the colony needs no SSH settings`, path: [field] });
        }
      }
    }
  })
  .describe('Forward a port of the running job to this machine (e.g. a notebook server).');

const retryFactor = (path: string) =>
  z.number(message(path)).min(1, message(path)).max(MAX_RETRY_FACTOR, message(path));

const retryGrowthSchema = z
  .strictObject(
    {
      memoryFactor: retryFactor('retryGrowth.memoryFactor').optional().describe('conditions.mem is multiplied by this for each retry after an out-of-memory kill.'),
      walltimeFactor: retryFactor('retryGrowth.walltimeFactor').optional().describe('conditions.walltime is multiplied by this for each retry after a time limit.'),
    },
    message('retryGrowth'),
  )
  .describe('More memory or time per attempt, for retries after an out-of-memory kill or a time limit (bounded by the spec limits).');

/** A growth factor for a cause retryOn does not retry would never apply: say so rather than ignore it. */
function checkRetryGrowth(yaml: { retryOn?: readonly string[] | undefined; retryGrowth?: { memoryFactor?: number | undefined; walltimeFactor?: number | undefined } | undefined }, context: z.RefinementCtx): void {
  const on = yaml.retryOn ?? ['node-failure', 'preempted'];
  const covers = (cause: string) => on.includes(cause) || on.includes('any-failure');
  const factors = [['memoryFactor', 'out-of-memory'], ['walltimeFactor', 'time-limit']] as const;
  for (const [factor, cause] of factors) {
    if (yaml.retryGrowth?.[factor] !== undefined && !covers(cause)) {
      context.addIssue({ code: 'custom', message: `${factor} applies to retries after ${cause}, which retryOn does not include: add ${cause} (or any-failure) to retryOn`, path: ['retryGrowth', factor] });
    }
  }
}

export const projectSchema = z
  .strictObject(
    {
      projectname: z
        .string(message('projectname'))
        .regex(PROJECT_NAME_PATTERN, message('projectname'))
        .describe('Project name: the CFS labels are /pollinator/<projectname>/{src,data,result}.'),
      conditions: conditionsSchema,
      environment: environmentSchema,
      slurm: slurmSchema.optional(),
      retries: z
        .int(message('retries'))
        .min(1, message('retries'))
        .max(MAX_RETRIES, message('retries'))
        .default(DEFAULT_RETRIES)
        .describe('How many more attempts a failed process gets, for the causes in retryOn (FunctionSpec maxretries). Default 3.'),
      retryOn: z
        .array(z.enum(RETRY_ON_VALUES, message('retryOn.*')), message('retryOn'))
        .optional()
        .describe('The causes a failed attempt is retried after. Default [node-failure, preempted]; opt in to out-of-memory, time-limit or any-failure.'),
      retryGrowth: retryGrowthSchema.optional(),
      result: resultSchema.default({ download: 'always' }),
      sync: syncSchema.default({ symlinks: 'skip' }),
      tunnel: tunnelSchema
        .nullable()
        .optional()
        .describe('Forward a port of the running job to this machine (e.g. a notebook server); null (what the original `pollinator new` writes) is none.'),
    },
    message(''),
  )
  .superRefine(checkRetryGrowth)
  .meta({
    title: 'Pollinator project.yaml',
    description: 'A Pollinator project: what to run, where, and with which resources. Reference: docs/project-yaml.md.',
  });

/** project.yaml as written (before defaults). */
export type ProjectYamlInput = z.input<typeof projectSchema>;
/** project.yaml after parsing, with defaults applied. */
export type ProjectYaml = z.output<typeof projectSchema>;
