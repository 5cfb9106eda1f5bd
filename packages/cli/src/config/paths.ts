import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where pollinator keeps its own state (the embedded default's server
 * database, blob store and executor directory): `POLLINATOR_DATA_DIR`, else
 * `$XDG_DATA_HOME/pollinator`, else the platform's usual place
 * (`~/.local/share/pollinator` on Linux).
 */
export function dataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (nonEmpty(env.POLLINATOR_DATA_DIR)) return env.POLLINATOR_DATA_DIR;
  if (nonEmpty(env.XDG_DATA_HOME)) return join(env.XDG_DATA_HOME, 'pollinator');
  const home = homeDir(env);
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'pollinator');
  if (platform === 'win32') return join(env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'), 'pollinator');
  return join(home, '.local', 'share', 'pollinator');
}

/**
 * Where pollinator reads profile files: `POLLINATOR_CONFIG_DIR`, else
 * `$XDG_CONFIG_HOME/pollinator`, else `~/.config/pollinator`
 * (`%APPDATA%\pollinator` on Windows).
 */
export function configDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (nonEmpty(env.POLLINATOR_CONFIG_DIR)) return env.POLLINATOR_CONFIG_DIR;
  if (nonEmpty(env.XDG_CONFIG_HOME)) return join(env.XDG_CONFIG_HOME, 'pollinator');
  const home = homeDir(env);
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'pollinator');
  return join(home, '.config', 'pollinator');
}

/** The embedded default's state directory under the data directory. */
export function embeddedDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(dataDir(env), 'embedded');
}

function homeDir(env: NodeJS.ProcessEnv): string {
  return nonEmpty(env.HOME) ? env.HOME : homedir();
}

function nonEmpty(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}

/** Where the embedded default's executor keeps its state (`fs`: staged job files, `state`: its records). */
export function embeddedExecutorDirs(embedded: string): { fsDir: string; stateDir: string } {
  return { fsDir: join(embedded, 'executor', 'fs'), stateDir: join(embedded, 'executor', 'state') };
}

/** `/home/ada/x` → `~/x` for display. */
export function tildify(path: string, env: NodeJS.ProcessEnv = process.env): string {
  const home = env.HOME ?? homedir();
  if (home !== '' && (path === home || path.startsWith(`${home}/`))) return `~${path.slice(home.length)}`;
  return path;
}
