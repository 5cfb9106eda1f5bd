import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Project } from '@pollinator/spec-builder';
import type { CommandContext } from '../context';
import { CliError } from '../errors';
import { CliExitCode } from '../exit-codes';
import { tildify } from '../config/paths';

const PROJECT_FILE = 'project.yaml';

/** A project directory: where, and its parsed project.yaml. */
export interface ProjectHere {
  dir: string;
  project: Project;
}

/**
 * The project in `dir`, or `undefined` when the directory has no
 * project.yaml at all. A project.yaml that exists but is broken is an error
 * (the usual explained `project.yaml is invalid`): a user who is in a
 * project directory should hear about its problems, not be told there is none.
 * Only the file is checked, not the files it names: `pull --inputs` into a
 * fresh clone (a project.yaml and nothing else) is how those files arrive.
 */
export async function projectIn(dir: string): Promise<ProjectHere | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, PROJECT_FILE), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
  const { parseProject, ProjectConfigError } = await import('@pollinator/spec-builder');
  const parsed = parseProject(text);
  if (!parsed.ok) throw new ProjectConfigError(parsed.issues);
  return { dir, project: parsed.project };
}

/**
 * The project of the current directory, for commands that only make sense
 * in one (`pull`, `@last`). Outside a project: an error that names the
 * directory and says how to point at one (`-C`), instead of a file-not-found.
 */
export async function requireProject(context: CommandContext, what: string, alternative?: string): Promise<ProjectHere> {
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
