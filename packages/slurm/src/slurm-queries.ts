/**
 * What the Slurm backend asks Slurm about its jobs (`scontrol`, `sacct`,
 * `squeue`, `scancel`), each command run with the allow-listed environment.
 */
import { BackendError, type JobHandle } from '@pollinator/backend';
import { jobInfoFromSacct, jobInfoFromScontrol, SACCT_FORMAT, type SlurmJobInfo } from './job-state';
import type { CommandRunner } from './runner';
import { BACKEND_NAME } from './slurm-backend-options';
import type { SlurmHandleData } from './slurm-handle';

const QUERY_TIMEOUT_MS = 60_000;

export class SlurmQueries {
  #accounting: Promise<boolean> | undefined;

  constructor(
    private readonly runner: CommandRunner,
    /** The environment of every Slurm command. */
    private readonly env: () => Record<string, string>,
    /** Use `sacct` for jobs `scontrol` no longer knows; `auto` asks Slurm whether accounting is on. */
    private readonly accounting: boolean | 'auto',
  ) {}

  accountingEnabled(): Promise<boolean> {
    if (this.accounting !== 'auto') return Promise.resolve(this.accounting);
    this.#accounting ??= this.runner
      .run('scontrol', ['show', 'config'], { env: this.env(), timeoutMs: 30_000 })
      .then((result) => {
        const type = /^AccountingStorageType\s*=\s*(\S+)/m.exec(result.stdout)?.[1] ?? '';
        return result.exitCode === 0 && type !== '' && !type.endsWith('/none');
      })
      .catch(() => false);
    return this.#accounting;
  }

  /** Slurm's view of the job, from scontrol, else sacct; undefined when Slurm does not know it. */
  async jobInfo(handle: JobHandle): Promise<SlurmJobInfo | undefined> {
    if (!/^\d+$/.test(handle.id)) return undefined;
    const env = this.env();
    const shown = await this.runner.run('scontrol', ['show', 'job', '-o', handle.id], { env, timeoutMs: QUERY_TIMEOUT_MS });
    if (shown.exitCode === 0) {
      const info = jobInfoFromScontrol(shown.stdout);
      if (info && info.jobName === handle.processId) return info;
      if (info) return undefined; // the id now belongs to someone else's job
    } else if (!/Invalid job id/i.test(shown.stderr)) {
      throw new BackendError(BACKEND_NAME, `scontrol show job ${handle.id} failed (exit status ${shown.exitCode}): ${shown.stderr.trim()}`);
    }
    if (await this.accountingEnabled()) {
      const accounted = await this.runner.run('sacct', ['-X', '-n', '-P', '-o', SACCT_FORMAT, '-j', handle.id], { env, timeoutMs: QUERY_TIMEOUT_MS });
      if (accounted.exitCode === 0) {
        const info = jobInfoFromSacct(accounted.stdout, handle.id);
        if (info && info.jobName === handle.processId) return info;
      }
    }
    return undefined;
  }

  /** The exit code the batch script recorded (`<job id> <code>`), when it belongs to this job. */
  async recordedExitCode(handle: JobHandle, data: SlurmHandleData): Promise<number | undefined> {
    const content = await this.runner.readFile(data.exitCodeFile, 0, 256).catch(() => undefined);
    const match = /^(\d+) (\d+)\s*$/.exec(content?.toString('utf8') ?? '');
    if (!match || match[1] !== handle.id) return undefined;
    return Number(match[2]);
  }

  /** `scancel`; a job that is already ending or gone is not an error. */
  async cancel(jobId: string): Promise<void> {
    const result = await this.runner.run('scancel', [jobId], { env: this.env(), timeoutMs: QUERY_TIMEOUT_MS });
    if (result.exitCode !== 0 && !/already completing|completed|Invalid job id/i.test(result.stderr)) {
      throw new BackendError(BACKEND_NAME, `scancel ${jobId} failed (exit status ${result.exitCode}): ${result.stderr.trim()}`);
    }
  }

  /** The job's state as squeue lists it (`COMPLETING`…); undefined once squeue no longer lists it. */
  async queuedState(jobId: string): Promise<string | undefined> {
    const listed = await this.runner.run('squeue', ['-h', '-j', jobId, '-o', '%T'], { env: this.env(), timeoutMs: QUERY_TIMEOUT_MS });
    const state = listed.stdout.trim();
    return listed.exitCode !== 0 || state === '' ? undefined : state;
  }

  /** The id of the newest job squeue lists under this name (a process id), if any. */
  async newestJobNamed(name: string): Promise<string | undefined> {
    const listed = await this.runner.run('squeue', ['-h', '-n', name, '-o', '%i'], { env: this.env(), timeoutMs: QUERY_TIMEOUT_MS });
    const ids = listed.exitCode === 0 ? listed.stdout.split('\n').map((line) => line.trim()).filter((line) => /^\d+$/.test(line)) : [];
    return ids.sort((a, b) => Number(b) - Number(a))[0];
  }
}
