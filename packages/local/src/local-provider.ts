/**
 * How a host (the CLI's backend registry) creates the local backend without
 * knowing its internals.
 */
import { BackendError, defineBackendProvider, type EnvironmentVariables } from '@pollinator/backend';
import { createLocalBackend, type LocalBackend } from './local-backend';
import { LOCAL_BACKEND_NAME, type LocalBackendOptions } from './local-options';

const ISOLATIONS = ['auto', 'bwrap', 'rewrite'] as const;

/**
 * The local backend's options from the executor's environment:
 * `POLLINATOR_LOCAL_ISOLATION` (`auto` by default, `bwrap` to require
 * bubblewrap: a job is then refused rather than run unisolated, or `rewrite`).
 * Everything else keeps its default (mode `auto`); the host adds `onWarning`.
 */
export function localOptionsFromEnv(env: EnvironmentVariables = process.env): LocalBackendOptions {
  const isolation = env.POLLINATOR_LOCAL_ISOLATION?.trim();
  if (isolation === undefined || isolation === '') return {};
  if (!(ISOLATIONS as readonly string[]).includes(isolation)) {
    throw new BackendError(
      LOCAL_BACKEND_NAME,
      `POLLINATOR_LOCAL_ISOLATION must be one of ${ISOLATIONS.join(', ')}, got ${JSON.stringify(isolation)}`,
    );
  }
  return { isolation: isolation as (typeof ISOLATIONS)[number] };
}

export const localBackendProvider = defineBackendProvider<LocalBackendOptions, LocalBackend>({
  name: LOCAL_BACKEND_NAME,
  create: createLocalBackend,
  optionsFromEnv: localOptionsFromEnv,
});
