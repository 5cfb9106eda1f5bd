import { coerceLikeGo } from './go-compat';
import { Locator } from './locator';
import { projectSchema, type ProjectYaml, type ResultDownloadPolicy, type SymlinkPolicy } from './project-schema';
import type { ProjectIssue } from './project-issues';
import type { RetryPolicy } from './retry-policy';
import { readYaml } from './read-yaml';
import { capIssues, schemaIssues } from './schema-issues';
import { stopSignalWalltimeProblem, type StopSignal } from './stop-signal';

/** A project, validated, with defaults applied and keys in TypeScript style. */
export interface Project {
  /** `projectname`: CFS labels are `/pollinator/<projectName>/…`. */
  projectName: string;
  conditions: {
    executorNames: string[];
    executorType: string;
    nodes: number;
    processesPerNode: number;
    /** Millicores, `"1000m"`. */
    cpu: string;
    /** `"1000Mi"` / `"4Gi"`. */
    mem: string;
    /** Seconds. */
    walltime: number;
    gpu: { count: number; name: string };
  };
  environment: {
    docker: string;
    rebuildImage: boolean;
    /** `init-cmd`; '' when unset. */
    initCmd: string;
    cmd: string;
    /** Entry file relative to `cfs/src`; undefined when unset. */
    source: string | undefined;
    /** Extra job environment (values already strings). */
    env: Record<string, string>;
    /** `stopSignal`: a signal `beforeSeconds` ahead of the walltime (absent: none). */
    stopSignal?: StopSignal;
  };
  slurm: { account?: string; partition?: string; qos?: string };
  retries: number;
  /** `retryOn` and `retryGrowth`: which failures are retried and how each retry grows; absent = the defaults. */
  retryPolicy?: Partial<RetryPolicy>;
  result: { download: ResultDownloadPolicy };
  /** `sync.symlinks`: what happens to symlinks in cfs/src and cfs/data (default `skip`). */
  sync: { symlinks: SymlinkPolicy };
  /** `tunnel:` (absent or `null`: none). */
  tunnel?: ProjectTunnel;
}

/** A port of the running job forwarded to this machine. */
export type ProjectTunnel =
  | { mode: 'forward'; port: number; localPort: number }
  | { mode: 'ssh'; port: number; localPort: number; user: string; jumpHost: string; jumpHostPort: number; sshKey: string };

export type ParseProjectResult =
  | { ok: true; project: Project; warnings: ProjectIssue[] }
  | { ok: false; issues: ProjectIssue[]; warnings: ProjectIssue[] };

export interface ParseProjectOptions {
  /** Name used in issue locations. Default `project.yaml`. */
  file?: string;
}

/** The file every project has at its root. */
export const PROJECT_FILE = 'project.yaml';

/**
 * Parse and validate project.yaml text. Never throws for any input: every
 * YAML and schema problem is returned at once (at most
 * `PROJECT_YAML_LIMITS.maxIssues`), each with line, column, field path, what
 * was found and what is allowed. Time and memory are linear in the text,
 * which may be at most `PROJECT_YAML_LIMITS.maxFileBytes`.
 */
export function parseProject(text: string, options: ParseProjectOptions = {}): ParseProjectResult {
  const file = options.file ?? PROJECT_FILE;
  try {
    return parseChecked(text, file);
  } catch (error) {
    // Not expected (the fuzz tests look for it), but a bug here must still end as a located problem, not a crash.
    return {
      ok: false,
      issues: [
        {
          file,
          line: 1,
          column: 1,
          path: '',
          code: 'yaml',
          message: `${file} could not be read (${String(error).slice(0, 200)}); this is a bug in Pollinator, please report it`,
        },
      ],
      warnings: [],
    };
  }
}

function parseChecked(text: string, file: string): ParseProjectResult {
  const read = readYaml(text, file, { prepare: (document) => coerceLikeGo(document, text) });
  if (!read.ok) return { ok: false, issues: capIssues(read.issues, file), warnings: capIssues(read.warnings, file) };
  const { document, data, at } = read;
  const warnings = capIssues(read.warnings, file);

  const parsed = projectSchema.safeParse(data ?? undefined);
  const locator = new Locator(document, at);
  if (!parsed.success) {
    return { ok: false, issues: schemaIssues(parsed.error.issues, data, locator, file), warnings };
  }
  if (hasOwnEnv(data, '__proto__')) {
    // zod skips the key (a plain object cannot hold it), so the variable would vanish silently.
    const where = locator.locate(['environment', 'env', '__proto__'], 'key');
    const message = '__proto__ cannot be passed as an environment variable';
    return { ok: false, issues: [{ file, ...where, path: 'environment.env.__proto__', code: 'invalid_value', message }], warnings };
  }

  const project = normalize(parsed.data);
  const stopSignal = project.environment.stopSignal;
  const stopProblem = stopSignal && stopSignalWalltimeProblem(stopSignal.beforeSeconds, project.conditions.walltime);
  if (stopProblem !== undefined) {
    const where = locator.locate(['environment', 'stopSignal', 'before'], 'value');
    return { ok: false, issues: [{ file, ...where, path: 'environment.stopSignal.before', code: 'invalid_value', message: stopProblem, found: String(stopSignal!.beforeSeconds) }], warnings };
  }
  if (project.environment.source === undefined) {
    warnings.push({
      file,
      ...locator.locate(['environment'], 'key'),
      path: 'environment.source',
      code: 'warning',
      message: 'environment.source is not set: the job runs cmd without a source file',
    });
  }
  return { ok: true, project, warnings };
}

function hasOwnEnv(data: unknown, key: string): boolean {
  const environment = (data as { environment?: { env?: unknown } } | undefined)?.environment;
  const env = environment?.env;
  return typeof env === 'object' && env !== null && Object.hasOwn(env, key);
}

/** The schema has checked that the port is there and that an SSH tunnel has its fields. */
function normalizeTunnel(tunnel: NonNullable<ProjectYaml['tunnel']>): ProjectTunnel {
  const port = (tunnel.port ?? tunnel.remotePort)!;
  const localPort = tunnel.localPort ?? port;
  if ((tunnel.mode ?? (tunnel.jumpHost === undefined ? 'forward' : 'ssh')) === 'forward') return { mode: 'forward', port, localPort };
  return {
    mode: 'ssh',
    port,
    localPort,
    user: tunnel.user!,
    jumpHost: tunnel.jumpHost!,
    jumpHostPort: tunnel.jumpHostPort ?? 22,
    sshKey: tunnel.sshKey!,
  };
}

function normalize(yaml: ProjectYaml): Project {
  const slurm: Project['slurm'] = {};
  if (yaml.slurm?.account !== undefined) slurm.account = yaml.slurm.account;
  if (yaml.slurm?.partition !== undefined) slurm.partition = yaml.slurm.partition;
  if (yaml.slurm?.qos !== undefined) slurm.qos = yaml.slurm.qos;
  const project: Project = {
    projectName: yaml.projectname,
    conditions: {
      executorNames: yaml.conditions.executorNames,
      executorType: yaml.conditions.executorType,
      nodes: yaml.conditions.nodes,
      processesPerNode: yaml.conditions.processesPerNode,
      cpu: yaml.conditions.cpu,
      mem: yaml.conditions.mem,
      walltime: yaml.conditions.walltime,
      gpu: { count: yaml.conditions.gpu.count, name: yaml.conditions.gpu.name },
    },
    environment: {
      docker: yaml.environment.docker,
      rebuildImage: yaml.environment.rebuildImage,
      initCmd: yaml.environment['init-cmd'],
      cmd: yaml.environment.cmd,
      source: yaml.environment.source === '' ? undefined : yaml.environment.source,
      env: yaml.environment.env,
      ...(yaml.environment.stopSignal ? { stopSignal: { signal: yaml.environment.stopSignal.signal, beforeSeconds: yaml.environment.stopSignal.before } } : {}),
    },
    slurm,
    retries: yaml.retries,
    result: { download: yaml.result.download },
    sync: { symlinks: yaml.sync.symlinks },
  };
  if (yaml.tunnel !== undefined && yaml.tunnel !== null) project.tunnel = normalizeTunnel(yaml.tunnel);
  const retryPolicy: Partial<RetryPolicy> = {
    ...(yaml.retryOn !== undefined ? { on: yaml.retryOn } : {}),
    ...(yaml.retryGrowth?.memoryFactor !== undefined ? { memoryFactor: yaml.retryGrowth.memoryFactor } : {}),
    ...(yaml.retryGrowth?.walltimeFactor !== undefined ? { walltimeFactor: yaml.retryGrowth.walltimeFactor } : {}),
  };
  if (Object.keys(retryPolicy).length > 0) project.retryPolicy = retryPolicy;
  return project;
}
