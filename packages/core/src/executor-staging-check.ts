/**
 * A spec's staging directories, checked before any staging work: a spec's
 * dirs and labels are hostile until checked (issue #13), and no dir may be an
 * ancestor of one another running process stages.
 */
import { isAncestorPath, SpecFieldError, stagedDirectories, type StagedDirectory } from './staging-paths';
import { executorError, type ExecutorSpec } from './validate-spec';

/** The spec's staging dirs, or [] when they are invalid (refused before staging; nothing was staged). */
export function stagedDirsOrNone(spec: ExecutorSpec, fsDir: string, processId: string): StagedDirectory[] {
  try {
    return stagedDirectories(spec, fsDir, processId);
  } catch {
    return [];
  }
}

/**
 * Why the spec's staging cannot be used (`ContainerExecutor: …` naming the
 * field): a bad dir or label, or a dir that is an ancestor of one that
 * another running process uses (`dirsOfOthers`, host paths).
 */
export function stagingProblem(spec: ExecutorSpec, fsDir: string, processId: string, dirsOfOthers: readonly string[]): string | undefined {
  let dirs: StagedDirectory[];
  try {
    dirs = stagedDirectories(spec, fsDir, processId);
  } catch (error) {
    if (SpecFieldError.isInstance(error)) return executorError(`Invalid funcspec, ${error.message}`, 'Failed to validate funcspec');
    throw error;
  }
  for (const dir of dirs) {
    const below = dirsOfOthers.find((other) => isAncestorPath(dir.hostPath, other));
    if (below !== undefined) {
      return executorError(
        `Invalid funcspec, ${dir.field} ${JSON.stringify(dir.dir)} contains ${JSON.stringify(below.slice(fsDir.replace(/\/$/, '').length))}, the staging directory of another running process`,
        'Failed to validate funcspec',
      );
    }
  }
  return undefined;
}
