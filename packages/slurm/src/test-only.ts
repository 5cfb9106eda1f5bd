/**
 * `sbatch --test-only`: Slurm validates the batch script and estimates when
 * the job would start, without submitting it (`pollinator plan --check`).
 * It answers on stderr, exit status 0:
 *   `sbatch: Job 12 to start at 2026-12-03T13:40:00 using 1 processors on nodes c1 in partition debug`
 * and refuses with exit status 1 (`--test-only` says "allocation failure", a
 * real submission "Batch job submission failed"):
 *   `sbatch: error: invalid partition specified: gpu`
 *   `allocation failure: Invalid partition name specified`
 */
import type { JobPreflight } from '@pollinator/backend';
import type { CommandResult } from './runner';

const START_LINE = /Job \d+ to start at (\S+)(.*)$/m;
const SUBMISSION_FAILED = /(?:allocation failure|Batch job submission failed):\s*(.+)$/m;

/** The `sbatch: ` prefixes and line breaks of Slurm's answer, as one line. */
function oneLine(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trim().replace(/^sbatch:\s*/, ''))
    .filter((line) => line !== '')
    .join(' / ');
}

/** The preflight answer in `sbatch --test-only`'s output. */
export function readTestOnlyAnswer(result: CommandResult): JobPreflight {
  const text = `${result.stderr}\n${result.stdout}`;
  const start = START_LINE.exec(text);
  if (result.exitCode === 0 && start) {
    const placement = start[2]!.trim();
    return { ok: true, message: `Slurm would start the job at ${start[1]}${placement ? ` ${placement}` : ''}`, earliestStart: start[1]! };
  }
  if (result.exitCode === 0) return { ok: true, message: `Slurm accepts the job: ${oneLine(text) || 'no estimate given'}` };
  const failed = SUBMISSION_FAILED.exec(text);
  const detail = oneLine(text) || 'no output';
  return {
    ok: false,
    message: failed ? `Slurm refuses the job: ${failed[1]!.trim()} (sbatch: ${detail})` : `Slurm refuses the job (sbatch --test-only exit status ${result.exitCode}): ${detail}`,
  };
}
