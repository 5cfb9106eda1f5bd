/**
 * How a host (the CLI's backend registry) creates the local backend without
 * knowing its internals.
 */
import { defineBackendProvider, type EnvironmentVariables } from '@pollinator/backend';
import { createLocalBackend, type LocalBackend } from './local-backend';
import { LOCAL_BACKEND_NAME, type LocalBackendOptions } from './local-options';

/**
 * The local backend's options from the executor's environment. None today:
 * `pollinator executor start --backend local` has always run it with its
 * defaults (mode `auto`, isolation `auto`), and the host adds `onWarning`.
 */
export function localOptionsFromEnv(_env: EnvironmentVariables = process.env): LocalBackendOptions {
  return {};
}

export const localBackendProvider = defineBackendProvider<LocalBackendOptions, LocalBackend>({
  name: LOCAL_BACKEND_NAME,
  create: createLocalBackend,
  optionsFromEnv: localOptionsFromEnv,
});
