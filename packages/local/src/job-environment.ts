/**
 * The environment allow-list: what of the executor's own environment a job
 * (and the container client) may see. Never the rest: the executor's key,
 * `COLONIES_*` and storage credentials stay out.
 */
import { DEFAULT_PATH, HOST_ENVIRONMENT_NAMES, pickEnvironment } from '@pollinator/backend';

/** Variables the container client itself needs to reach its engine. */
const CONTAINER_CLIENT_ENV_KEYS = ['DOCKER_HOST', 'DOCKER_CONFIG', 'DOCKER_CONTEXT', 'XDG_RUNTIME_DIR', 'CONTAINER_HOST'];

/** The host variables a plain-process job starts from. */
export function baseEnvironment(): Record<string, string> {
  return pickEnvironment(HOST_ENVIRONMENT_NAMES, process.env, { defaultPath: DEFAULT_PATH });
}

/** What the container client runs with (the job's own variables are added by the caller). */
export function containerClientEnvironment(): Record<string, string> {
  return pickEnvironment([...HOST_ENVIRONMENT_NAMES, ...CONTAINER_CLIENT_ENV_KEYS], process.env, { defaultPath: DEFAULT_PATH });
}
