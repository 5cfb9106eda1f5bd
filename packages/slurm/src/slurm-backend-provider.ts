import { defineBackendProvider, type Backend } from '@pollinator/backend';
import { slurmOptionsFromEnv } from './options-from-env';
import { createSlurmBackend } from './slurm-backend';
import { BACKEND_NAME, type SlurmBackendOptions } from './slurm-backend-options';

/** The Slurm backend for a host that picks backends by name (the CLI's `--backend slurm`). */
export const slurmBackendProvider = defineBackendProvider<SlurmBackendOptions, Backend>({
  name: BACKEND_NAME,
  create: createSlurmBackend,
  optionsFromEnv: slurmOptionsFromEnv,
});
