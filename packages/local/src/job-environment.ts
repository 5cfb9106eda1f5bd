/**
 * The environment allow-list: what of the executor's own environment a job
 * (and the container client) may see. Never the rest: the executor's key,
 * `COLONIES_*` and storage credentials stay out.
 */

/** Host environment variables a container would also have (nothing secret). */
const BASE_ENV_KEYS = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'];
/** Variables the container client itself needs to reach its engine. */
const CONTAINER_CLIENT_ENV_KEYS = ['DOCKER_HOST', 'DOCKER_CONFIG', 'DOCKER_CONTEXT', 'XDG_RUNTIME_DIR', 'CONTAINER_HOST'];
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function pick(keys: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of keys) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  env.PATH ??= DEFAULT_PATH;
  return env;
}

/** The host variables a plain-process job starts from. */
export function baseEnvironment(): Record<string, string> {
  return pick(BASE_ENV_KEYS);
}

/** What the container client runs with (the job's own variables are added by the caller). */
export function containerClientEnvironment(): Record<string, string> {
  return pick([...BASE_ENV_KEYS, ...CONTAINER_CLIENT_ENV_KEYS]);
}
