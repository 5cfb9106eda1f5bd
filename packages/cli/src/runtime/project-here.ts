import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { LoadedProject } from '@pollinator/spec-builder';
import type { CommandContext } from '../context';
import { CliError } from '../errors';
import { CliExitCode } from '../exit-codes';
import { tildify } from '../config/paths';

const PROJECT_FILE = 'project.yaml';

/**
 * The project in `dir`, or `undefined` when the directory has no
 * project.yaml at all. A project.yaml that exists but is broken is an error
 * (the usual explained `project.yaml is invalid`): a user who is in a
 * project directory should hear about its problems, not be told there is none.
 */
export async function projectIn(dir: string): Promise<LoadedProject | undefined> {
  try {
    await stat(join(dir, PROJECT_FILE));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw error;
  }
  const { loadProject } = await import('@pollinator/spec-builder');
  return loadProject(dir);
}

/**
 * The project of the current directory, for commands that only make sense
 * in one (`pull`, `@last`). Outside a project: an error that names the
 * directory and says how to point at one (`-C`), instead of a file-not-found.
 */
export async function requireProject(context: CommandContext, what: string, alternative?: string): Promise<LoadedProject> {
  const project = await projectIn(context.cwd);
  if (project !== undefined) return project;
  const here = tildify(context.cwd, context.env);
  throw new CliError(`${what} needs a project directory, and ${here} is not one`, {
    why: `there is no ${PROJECT_FILE} in ${here}`,
    fix: `Run it in the project's directory, or point at it with \`-C <dir>\` (e.g. \`pollinator -C ~/my-project …\`)${alternative === undefined ? '' : `; ${alternative}`}.`,
    exitCode: CliExitCode.USAGE,
    code: 'NOT_A_PROJECT',
  });
}
