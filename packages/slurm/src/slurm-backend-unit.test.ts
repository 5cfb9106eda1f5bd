/**
 * Backend behaviour that needs no Slurm: a scripted `CommandRunner` stands in
 * for the Slurm commands.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { JobRequest } from '@pollinator/backend';
import { createLocalRunner, type CommandResult, type CommandRunner } from './runner';
import { createSlurmBackend } from './slurm-backend';

const root = mkdtempSync(join(tmpdir(), 'pollinator-slurm-unit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const PID = 'b'.repeat(64);
function job(): JobRequest {
  return {
    processId: PID,
    image: '',
    rebuildImage: false,
    initCommand: '',
    command: 'echo hi',
    env: { COLONIES_PROCESS_ID: PID },
    resources: { nodes: 1, processesPerNode: 1, cpuMillicores: 0, memoryBytes: 0, gpu: { count: 0, name: '' }, walltimeSeconds: 0 },
    mounts: [],
    protectedPaths: [],
    placement: {},
    workDir: mkdtempSync(join(root, 'job-')),
  };
}

/** Local files, scripted Slurm commands. */
function scriptedRunner(answer: (command: string, args: readonly string[]) => CommandResult): CommandRunner & { calls: string[][] } {
  const local = createLocalRunner();
  const calls: string[][] = [];
  return {
    ...local,
    calls,
    async run(command, args) {
      calls.push([command, ...args]);
      return answer(command, args);
    },
  };
}

const ok = (stdout: string): CommandResult => ({ exitCode: 0, stdout, stderr: '' });
const running = `JobId=77 JobName=${PID} UserId=u(1) JobState=RUNNING Reason=None Dependency=(null) ExitCode=0:0 TimeLimit=UNLIMITED NodeList=nid[001-002] BatchHost=nid001`;

describe('slurm backend with scripted Slurm commands', () => {
  it('submits with sbatch --parsable and reads "<id>;<cluster>" answers', async () => {
    const runner = scriptedRunner((command) => (command === 'sbatch' ? ok('77;cluster-a\n') : ok('')));
    const backend = createSlurmBackend({ runtime: 'none', runner });
    const request = job();
    const handle = await backend.start(request);
    expect(handle).toMatchObject({ backend: 'slurm', processId: PID, id: '77', data: { workDir: request.workDir } });
    expect(runner.calls[0]).toEqual(['sbatch', '--parsable', join(request.workDir, 'job.sbatch')]);
  });

  it('keeps the last known state when Slurm does not answer for a moment', async () => {
    let fail = false;
    const runner = scriptedRunner((command) => {
      if (command === 'sbatch') return ok('77\n');
      if (command === 'scontrol' && fail) return { exitCode: 1, stdout: '', stderr: 'slurm_load_jobs error: Socket timed out on send/recv operation' };
      if (command === 'scontrol') return ok(`${running}\n`);
      return ok('');
    });
    const backend = createSlurmBackend({ runtime: 'none', runner, statusCacheMs: 0 });
    const handle = await backend.start(job());
    expect(await backend.status(handle)).toEqual({ state: 'running', nodes: ['nid001', 'nid002'] });
    fail = true;
    expect(await backend.status(handle)).toEqual({ state: 'running', nodes: ['nid001', 'nid002'] });
    expect(await backend.attributes!(handle)).toEqual({ 'SLURM-JOBID': '77' });
    fail = false;
    expect(await backend.attributes!(handle)).toEqual({ 'SLURM-JOBID': '77', NODES: 'nid001,nid002' });
  });

  it('does not take a reused job id for its own job', async () => {
    const runner = scriptedRunner((command) => {
      if (command === 'sbatch') return ok('77\n');
      if (command === 'scontrol') return ok(running.replace(PID, 'someone-elses-job').replace('RUNNING', 'COMPLETED'));
      return ok('');
    });
    const backend = createSlurmBackend({ runtime: 'none', runner, accounting: false });
    const handle = await backend.start(job());
    const status = await backend.status(handle);
    expect(status).toMatchObject({ state: 'failed', exitCode: null, reason: expect.stringContaining('Slurm no longer knows job 77') });
  });

  it('a status query leaves the log alone: logs() writes the pending and started notices, once each', async () => {
    let state = running.replace('JobState=RUNNING Reason=None', 'JobState=PENDING Reason=PartitionDown').replace('NodeList=nid[001-002]', 'NodeList=(null)');
    const runner = scriptedRunner((command) => {
      if (command === 'sbatch') return ok('77\n');
      if (command === 'scontrol') return ok(`${state}\n`);
      return ok('');
    });
    const backend = createSlurmBackend({ runtime: 'none', runner, statusCacheMs: 0, pendingNoticeDelayMs: 0, logPollIntervalMs: 10, accounting: false });
    const request = job();
    const handle = await backend.start(request);
    const outputFile = join(request.workDir, 'output.log');
    for (let query = 0; query < 3; query += 1) {
      expect(await backend.status(handle)).toMatchObject({ state: 'pending', reason: 'PartitionDown (the partition is down)' });
    }
    expect(readFileSync(outputFile, 'utf8')).toBe('');

    const controller = new AbortController();
    let seen = '';
    for await (const chunk of backend.logs(handle, '', controller.signal)) {
      seen += chunk.text;
      if (seen.includes('is pending')) state = running;
      if (seen.includes('started on')) setTimeout(() => controller.abort(), 50);
    }
    expect(seen).toBe('[pollinator] Slurm job 77 is pending: PartitionDown (the partition is down)\n[pollinator] Slurm job 77 started on nid001,nid002\n');
    expect(readFileSync(outputFile, 'utf8')).toBe(seen);
  });
});
