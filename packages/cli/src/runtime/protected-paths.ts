import type { EffectiveConfig } from '../config/settings';

/**
 * What an executor started by this CLI hides from every job, on top of its
 * own state and staging directories (which the executor runtime adds
 * itself): pollinator's data directory (the embedded dev-server's
 * identities.json, database and blobs, other executors' state) and its config
 * directory (profiles may hold keys). A backend that isolates jobs (local
 * with bubblewrap, containers) never shows them; see docs/security.md.
 */
export function protectedPathsOf(config: Pick<EffectiveConfig, 'dataDir' | 'configDir'>, ...extra: string[]): string[] {
  return [...new Set([config.dataDir, config.configDir, ...extra])];
}
