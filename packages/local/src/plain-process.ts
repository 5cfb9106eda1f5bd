/**
 * How a job runs as a plain process (no container engine): the isolation this
 * machine allows (bubblewrap, else path rewriting, which isolates nothing),
 * decided once per backend, and the command line and environment of one job
 * under it.
 */
import { randomBytes } from 'node:crypto';
import { BackendError, type JobRequest } from '@pollinator/backend';
import { JOB_MARKER_ENV } from './processes';
import { bwrapArguments, bwrapUsable, rewritePaths, REWRITE_MODE_WARNING } from './sandbox';

/** How this backend keeps a job away from the executor's files. */
export interface LocalIsolation {
  /** `bwrap` and the container engines hide everything but the job's own mounts; `rewrite` hides nothing. */
  isolation: 'bwrap' | 'rewrite' | 'container';
  isolatesFilesystem: boolean;
  /** Set when jobs are not isolated: what an operator must know. */
  warning?: string;
}

export interface IsolationOptions {
  isolation?: 'auto' | 'bwrap' | 'rewrite';
  bwrapPath?: string;
  onWarning?: (message: string) => void;
}

/**
 * Chooses the isolation once (probing bubblewrap asynchronously) and says,
 * once and as soon as it is known, when jobs will not be isolated: an
 * operator must know before the first job runs.
 */
export function plainProcessIsolation(backendName: string, options: IsolationOptions): () => Promise<'bwrap' | 'rewrite'> {
  let choice: Promise<'bwrap' | 'rewrite'> | undefined;
  const choose = (): Promise<'bwrap' | 'rewrite'> =>
    (choice ??= (async () => {
      const wanted = options.isolation ?? 'auto';
      if (wanted === 'rewrite') return 'rewrite';
      const bwrapPath = options.bwrapPath ?? 'bwrap';
      const usable = await bwrapUsable(bwrapPath);
      if (wanted === 'bwrap' && !usable) {
        throw new BackendError(
          backendName,
          `isolation 'bwrap' requested but ${bwrapPath} is missing or cannot create namespaces (install bubblewrap)`,
        );
      }
      return usable ? 'bwrap' : 'rewrite';
    })());
  choose().then(
    (chosen) => {
      if (chosen !== 'rewrite') return;
      if (options.onWarning) options.onWarning(REWRITE_MODE_WARNING);
      else process.emitWarning(REWRITE_MODE_WARNING, { code: 'POLLINATOR_LOCAL_NO_ISOLATION' });
    },
    // An unusable bwrap is reported by start(), where a job is waiting for the answer.
    () => undefined,
  );
  return choose;
}

export function describeIsolation(chosen: 'bwrap' | 'rewrite'): LocalIsolation {
  return chosen === 'bwrap'
    ? { isolation: 'bwrap', isolatesFilesystem: true }
    : { isolation: 'rewrite', isolatesFilesystem: false, warning: REWRITE_MODE_WARNING };
}

export interface PlainProcessCommand {
  argv: string[];
  env: Record<string, string>;
  /** The job's JOB_MARKER_ENV value: finds the children that leave its process group. */
  marker: string;
}

/** The argv and environment of a job run as a plain process, under the chosen isolation. */
export function plainProcessCommand(
  job: JobRequest,
  shellCommand: string,
  runDir: string,
  chosen: 'bwrap' | 'rewrite',
  context: { bwrapPath: string; baseEnv: Record<string, string> },
): PlainProcessCommand {
  const marker = randomBytes(16).toString('hex');
  let argv: string[];
  let env: Record<string, string>;
  if (chosen === 'bwrap') {
    // Older callers may not set protectedPaths: then only the read-only host view protects.
    const layout = { mounts: job.mounts, workDir: runDir, protectedPaths: job.protectedPaths ?? [] };
    argv = [context.bwrapPath, ...bwrapArguments(layout), '--', '/bin/sh', '-c', shellCommand];
    // The host's TMPDIR may not exist in the sandbox; /tmp is the job's own.
    env = { ...context.baseEnv, TMPDIR: '/tmp', ...job.env };
  } else {
    argv = ['/bin/sh', '-c', rewritePaths(shellCommand, job.mounts)];
    env = { ...context.baseEnv };
    for (const [key, value] of Object.entries(job.env)) env[key] = rewritePaths(value, job.mounts);
  }
  env[JOB_MARKER_ENV] = marker;
  return { argv, env, marker };
}
