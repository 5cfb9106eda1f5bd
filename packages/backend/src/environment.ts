/**
 * The environment allow-list: a job, and the commands a backend runs for it,
 * see only named variables of the executor's own environment, never the rest
 * (the executor's key, `COLONIES_*`, `AWS_S3_*` credentials).
 */

/** Host variables a container would also have (nothing secret). */
export const HOST_ENVIRONMENT_NAMES: readonly string[] = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'];

/** `PATH` when the executor has none. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Prefixes of the executor's own secrets: variables named so never reach a job. */
export const SECRET_ENVIRONMENT_PREFIXES: readonly string[] = ['COLONIES_', 'AWS_S3_', 'EXECUTOR_'];

/**
 * The variables of `source` named in `names` (those it has), and nothing else.
 * With `defaultPath`, `PATH` is set to it when `source` has none.
 */
export function pickEnvironment(
  names: Iterable<string>,
  source: Readonly<Record<string, string | undefined>> = process.env,
  options: { defaultPath?: string } = {},
): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of names) {
    const value = source[name];
    if (value !== undefined) picked[name] = value;
  }
  if (options.defaultPath !== undefined) picked.PATH ??= options.defaultPath;
  return picked;
}

/** True when `name` starts with one of `prefixes` (default: the executor's secrets). */
export function isSecretEnvironmentName(name: string, prefixes: readonly string[] = SECRET_ENVIRONMENT_PREFIXES): boolean {
  return prefixes.some((prefix) => name.startsWith(prefix));
}
