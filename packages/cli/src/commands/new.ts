import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { basename, relative, resolve } from 'node:path';
import type { CommandContext } from '../context';
import { CliError, usageError } from '../errors';
import { CliExitCode } from '../exit-codes';

export interface NewOptions {
  executor?: string;
  name?: string;
  force?: boolean;
}

const NAME_PATTERN = /^[A-Za-z0-9._-]+$/;

/**
 * A readable, practically unique project name: the directory's name plus six
 * random hex digits (`demo-3f9a1c`). Project names are CFS labels
 * (`/pollinator/<name>/…`) shared by everyone in a colony, so two people's
 * `demo` projects must not collide; the original Pollinator used 64 random
 * hex digits for the same reason.
 */
export function defaultProjectName(dir: string): string {
  const base = basename(dir)
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 40);
  const suffix = randomBytes(3).toString('hex');
  return base === '' ? `project-${suffix}` : `${base}-${suffix}`;
}

/** `pollinator new [dir]`: scaffold a project and say what to do next. */
export async function run(context: CommandContext, dirArgument: string | undefined, options: NewOptions): Promise<number> {
  const { output } = context;
  const dir = resolve(context.cwd, dirArgument ?? '.');
  const shown = relative(context.cwd, dir) || '.';

  if (options.name !== undefined && !NAME_PATTERN.test(options.name)) {
    throw usageError(`Invalid project name "${options.name}"`, 'Use letters, digits, ".", "_" and "-".');
  }
  let entries: string[] = [];
  try {
    entries = await readdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') {
      throw new CliError(`Cannot create a project in ${shown}`, { why: 'it is a file', exitCode: CliExitCode.USAGE, code: 'USAGE' });
    }
    if (code !== 'ENOENT') throw error;
  }
  if (entries.length > 0 && options.force !== true) {
    throw new CliError(`Not creating a project in ${shown}`, {
      why: `the directory is not empty (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''})`,
      fix: 'Choose a new directory (`pollinator new my-project`) or add --force to add the project files next to what is there.',
      exitCode: CliExitCode.USAGE,
      code: 'DIRECTORY_NOT_EMPTY',
    });
  }

  const { ProjectFilesExistError, scaffoldProject } = await import('@pollinator/spec-builder');
  const projectName = options.name ?? defaultProjectName(dir);
  let written: string[];
  try {
    written = await scaffoldProject(dir, {
      projectName,
      executorNames: options.executor === undefined ? undefined : [options.executor],
    });
  } catch (error) {
    if (ProjectFilesExistError.isInstance(error)) {
      throw new CliError(`Not creating a project in ${shown}`, {
        why: error.message.replace(/^(\[[^\]]+\]\s*)+/, ''),
        fix: 'Remove those files first or choose another directory.',
        exitCode: CliExitCode.USAGE,
        code: 'FILES_EXIST',
        cause: error,
      });
    }
    throw error;
  }
  const files = [...written, 'cfs/result/'];

  if (output.isJson) {
    output.json({ type: 'project.created', dir, projectName, files });
    return 0;
  }
  const c = output.colors;
  output.step(`Created project ${c.bold(projectName)} in ${shown}`);
  for (const file of files) output.line(`    ${file}`);
  output.line('');
  output.line('Next:');
  if (shown !== '.') output.line(`  cd ${shown}`);
  output.line(`  pollinator plan     ${c.dim('# what would be uploaded, and the job spec')}`);
  output.line(`  pollinator run      ${c.dim('# run it; results land in cfs/result/')}`);
  if (context.config.mode === 'embedded') {
    output.line(c.dim('No colony is configured, so `run` uses the embedded default on this machine (see `pollinator config`).'));
  }
  return 0;
}
