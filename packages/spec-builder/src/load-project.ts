import { lstat, open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PROJECT_YAML_LIMITS } from './limits';
import { Locator } from './locator';
import { parseProject, PROJECT_FILE, type ParseProjectOptions, type Project } from './parse-project';
import { ProjectConfigError } from './project-config-error';
import type { ProjectIssue } from './project-issues';
import { readYaml } from './read-yaml';

export interface LoadedProject {
  /** Absolute or caller-relative project directory. */
  dir: string;
  project: Project;
  warnings: ProjectIssue[];
}

/**
 * Read `<dir>/project.yaml`, validate it, and check what it points at
 * (`environment.source` must be a file in `cfs/src`). Throws
 * `ProjectConfigError` listing every problem. Reads at most
 * `PROJECT_YAML_LIMITS.maxFileBytes` (a FIFO or a huge file is refused by
 * name, never read to the end).
 */
export async function loadProject(dir: string, options: ParseProjectOptions = {}): Promise<LoadedProject> {
  const file = options.file ?? PROJECT_FILE;
  const text = await readProjectFile(dir, file);
  const result = parseProject(text, { file });
  if (!result.ok) throw new ProjectConfigError(result.issues);

  const { source } = result.project.environment;
  if (source !== undefined) {
    const problem = await sourceProblem(dir, source, result.project.sync.symlinks);
    if (problem !== undefined) {
      const read = readYaml(text, file);
      const location = read.ok ? new Locator(read.document, read.at).locate(['environment', 'source'], 'value') : { line: 1, column: 1 };
      throw new ProjectConfigError([
        {
          file,
          ...location,
          path: 'environment.source',
          code: 'missing_file',
          message: problem,
          found: JSON.stringify(source),
          allowed: 'the path of a file in cfs/src',
        },
      ]);
    }
  }
  return { dir, project: result.project, warnings: result.warnings };
}

function fileIssue(file: string, message: string): ProjectIssue {
  return { file, line: 1, column: 1, path: '', code: 'missing_file', message };
}

async function readProjectFile(dir: string, file: string): Promise<string> {
  const path = join(dir, file);
  const limit = PROJECT_YAML_LIMITS.maxFileBytes;
  try {
    const stats = await stat(path);
    if (!stats.isFile()) throw new ProjectConfigError([fileIssue(file, `${file} in ${dir} is not a regular file`)]);
    if (stats.size > limit) throw new ProjectConfigError([tooLarge(file, stats.size)]);
    // The size may change between stat and read: read at most one byte past the limit.
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(Math.min(stats.size, limit) + 1);
      let length = 0;
      for (;;) {
        const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
        if (bytesRead === 0) break;
        length += bytesRead;
        if (length === buffer.length) break;
      }
      if (length > limit) throw new ProjectConfigError([tooLarge(file, length)]);
      return buffer.subarray(0, length).toString('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (ProjectConfigError.isInstance(error)) throw error;
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    const message = missing
      ? `${file} not found in ${dir} (create one with \`pollinator new\`)`
      : `${file} cannot be read: ${(error as Error).message}`;
    throw new ProjectConfigError([fileIssue(file, message)], { cause: error });
  }
}

function tooLarge(file: string, bytes: number): ProjectIssue {
  const limit = PROJECT_YAML_LIMITS.maxFileBytes;
  return {
    file,
    line: 1,
    column: 1,
    path: '',
    code: 'limit',
    message: `${file} is ${bytes} bytes, more than the limit of ${limit} bytes (256 KiB); a project.yaml describes one job and is a few hundred bytes`,
  };
}

/** Why `cfs/src/<source>` cannot be the entry file, or `undefined` when it can. */
async function sourceProblem(dir: string, source: string, symlinks: Project['sync']['symlinks']): Promise<string | undefined> {
  const sourcePath = join(dir, 'cfs', 'src', source);
  const link = await lstat(sourcePath).then(
    (stats) => stats.isSymbolicLink(),
    () => false,
  );
  if (link && symlinks === 'skip') {
    return `cfs/src/${source} is a symlink, which is not uploaded (sync.symlinks is "skip"); replace it with the file, or set sync.symlinks: inside in project.yaml`;
  }
  const exists = await stat(sourcePath).then(
    (stats) => stats.isFile(),
    () => false,
  );
  return exists ? undefined : `cfs/src/${source} does not exist`;
}
