import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The git state of a project directory at submit. */
export interface GitProvenance {
  /** `git rev-parse HEAD`. */
  commit: string;
  /**
   * True when the project directory has uncommitted or untracked changes
   * (`git status --porcelain`), apart from what runs write there themselves:
   * cfs-sync's `.cfs` markers and the downloaded `cfs/result`.
   */
  dirty: boolean;
}

/**
 * The commit and dirty flag of the git work tree `dir` is in, or undefined
 * when it is in none (or git is not installed, or the repository has no commit
 * yet). Never throws: provenance is a record, not a requirement of a run.
 */
export async function gitProvenance(dir: string): Promise<GitProvenance | undefined> {
  // execFile, no shell: the directory is one argument whatever characters it holds.
  const git = (args: string[]) => run('git', ['-C', dir, ...args], { encoding: 'utf8', timeout: 10_000, maxBuffer: 64 * 1024 * 1024 });
  try {
    const inside = await git(['rev-parse', '--is-inside-work-tree']);
    if (inside.stdout.trim() !== 'true') return undefined;
    const head = await git(['rev-parse', 'HEAD']);
    // Only the project directory (the pathspec is relative to it), without the run's own writes.
    const status = await git(['status', '--porcelain', '--untracked-files=all', '--', '.', ':(exclude)cfs/result', ':(exclude,glob)**/.cfs']);
    const commit = head.stdout.trim();
    if (!/^[0-9a-f]{40,64}$/.test(commit)) return undefined;
    return { commit, dirty: status.stdout.trim() !== '' };
  } catch {
    return undefined;
  }
}
