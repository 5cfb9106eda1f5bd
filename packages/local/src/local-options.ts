import type { LocalMode } from './local-mode';

export const LOCAL_BACKEND_NAME = 'local';

export interface LocalBackendOptions {
  /**
   * `process` runs the command on this machine (the image is ignored);
   * `docker`/`podman` run it in the job's image. `auto` (default) uses Docker
   * or Podman when their engine answers, and a plain process otherwise.
   */
  mode?: LocalMode | 'auto';
  /**
   * How a plain process sees `fs.mount` paths (see sandbox.ts): `bwrap` (a
   * private mount namespace), `rewrite` (paths rewritten in the command and
   * env), or `auto` (default: bwrap when usable, otherwise rewrite).
   */
  isolation?: 'auto' | 'bwrap' | 'rewrite';
  /** Path of the bwrap binary (default `bwrap` on PATH). */
  bwrapPath?: string;
  /** Path of the docker / podman client (default: the mode's name on PATH). */
  containerCommand?: string;
  /** Seconds between SIGTERM and SIGKILL when a job is cancelled or times out (default 5). */
  stopGraceSeconds?: number;
  /** The Node.js binary that runs the job supervisor (default: this process's). */
  nodePath?: string;
  /** Interval (ms) at which `logs()` polls the output file (default 100). */
  logPollMs?: number;
  /**
   * Called once, when the backend finds it must run plain processes without
   * bubblewrap (jobs are not isolated from the executor; see
   * REWRITE_MODE_WARNING). Default: `process.emitWarning`.
   */
  onWarning?: (message: string) => void;
}

/** The options with their defaults applied: what the parts of the backend share. */
export interface LocalSettings {
  mode: LocalMode;
  /** ms between SIGTERM and SIGKILL. */
  graceMs: number;
  nodePath: string;
  logPollMs: number;
  /** The docker / podman client ('' in process mode). */
  containerCommand: string;
  bwrapPath: string;
}

export function localSettings(mode: LocalMode, options: LocalBackendOptions): LocalSettings {
  return {
    mode,
    // Node's timers cannot wait longer than 2^31 - 1 ms (the supervisor adds to the grace); a day is plenty.
    graceMs: Math.min((options.stopGraceSeconds ?? 5) * 1000, 86_400_000),
    nodePath: options.nodePath ?? process.execPath,
    logPollMs: options.logPollMs ?? 100,
    containerCommand: options.containerCommand ?? (mode === 'process' ? '' : mode),
    bwrapPath: options.bwrapPath ?? 'bwrap',
  };
}
