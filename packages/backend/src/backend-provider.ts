import type { Backend } from './backend';

/** Environment variables as `process.env` holds them. */
export type EnvironmentVariables = Readonly<Record<string, string | undefined>>;

/**
 * How the CLI (or any host) finds, configures and creates one kind of
 * backend without knowing its internals: each backend package exports one
 * (`localBackendProvider`, `slurmBackendProvider`, `k8sBackendProvider`).
 */
export interface BackendProvider<Options, Created extends Backend = Backend> {
  /** The backend's name, as `--backend` and `Backend.name` spell it. */
  readonly name: string;
  /** A backend with these options. */
  create(options: Options): Created;
  /** The options the executor's environment asks for (`POLLINATOR_*` and the backend's own variables). */
  optionsFromEnv(env: EnvironmentVariables): Options;
}

/** Typed identity: checks `provider` against `BackendProvider` and keeps its exact types. */
export function defineBackendProvider<Options, Created extends Backend>(
  provider: BackendProvider<Options, Created>,
): BackendProvider<Options, Created> {
  return provider;
}
