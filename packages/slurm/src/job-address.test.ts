/**
 * `jobAddress`: the first node of a running job's allocation (the hostlist
 * expanded), at Slurm's `NodeAddr` for it. Scripted Slurm commands for the
 * cases real Slurm here cannot show (several nodes, an unknown node), and the
 * real Slurm of the test services for the whole path.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { JobHandle, JobRequest } from '@pollinator/backend';
import { testJobRequest } from '@pollinator/backend/test';
import { nodeAddressFromScontrol } from './job-address';
import { createLocalRunner, type CommandResult, type CommandRunner } from './runner';
import { createSlurmBackend } from './slurm-backend';
import { requireServices, slurmAvailable, slurmSkipReason } from './services.test-helpers';

requireServices(slurmSkipReason);

const root = mkdtempSync(join(tmpdir(), 'pollinator-slurm-address-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function job(processId: string, command = 'sleep 60'): JobRequest {
  return testJobRequest(command, mkdtempSync(join(root, 'job-')), { processId });
}

const ok = (stdout: string): CommandResult => ({ exitCode: 0, stdout, stderr: '' });
const failed = (stderr: string): CommandResult => ({ exitCode: 1, stdout: '', stderr });

/** Local files; `scontrol show job` answers with `jobLine`, `scontrol show node` with `nodeAnswer`. */
function scriptedSlurm(jobLine: string, nodeAnswer: (node: string) => CommandResult): CommandRunner & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    ...createLocalRunner(),
    calls,
    async run(command, args) {
      calls.push([command, ...args]);
      if (command === 'sbatch') return ok('77\n');
      if (command === 'scontrol' && args[1] === 'job') return ok(jobLine);
      if (command === 'scontrol' && args[1] === 'node') return nodeAnswer(args[3] ?? '');
      return ok('');
    },
  };
}

const PID = 'c'.repeat(64);
const jobLine = (state: string, nodes: string) =>
  `JobId=77 JobName=${PID} UserId=u(1) JobState=${state} Reason=None Dependency=(null) ExitCode=0:0 TimeLimit=UNLIMITED NodeList=${nodes}\n`;
const nodeLine = (name: string, address: string) => `NodeName=${name} Arch=x86_64 CPUAlloc=2 NodeAddr=${address} NodeHostName=${name} State=ALLOCATED\n`;

describe('slurm jobAddress with scripted Slurm commands', () => {
  it('is the first node of a multi-node allocation, at its NodeAddr, asked once per node', async () => {
    const runner = scriptedSlurm(jobLine('RUNNING', 'nid[007-009],gpu01'), (node) => ok(nodeLine(node, `10.0.0.${Number(node.slice(3))}`)));
    const backend = createSlurmBackend({ runtime: 'none', runner, statusCacheMs: 0 });
    const handle = await backend.start(job(PID));
    expect(await backend.jobAddress!(handle)).toBe('10.0.0.7');
    expect(await backend.jobAddress!(handle)).toBe('10.0.0.7');
    expect(runner.calls.filter((call) => call[2] === 'node')).toEqual([['scontrol', 'show', 'node', '-o', 'nid007']]);
  });

  it('has no address while the job is pending, its nodes boot, or once it has ended', async () => {
    for (const [state, nodes] of [['PENDING', '(null)'], ['CONFIGURING', 'nid001'], ['COMPLETED', 'nid001']] as const) {
      const backend = createSlurmBackend({ runtime: 'none', runner: scriptedSlurm(jobLine(state, nodes), (node) => ok(nodeLine(node, '10.0.0.1'))) });
      const handle = await backend.start(job(PID));
      expect(await backend.jobAddress!(handle), state).toBeUndefined();
    }
  });

  it('falls back to the node name when Slurm does not say its address, and asks again next time', async () => {
    const runner = scriptedSlurm(jobLine('RUNNING', 'nid001'), () => failed('slurm_load_node error: Socket timed out'));
    const backend = createSlurmBackend({ runtime: 'none', runner });
    const handle = await backend.start(job(PID));
    expect(await backend.jobAddress!(handle)).toBe('nid001');
    expect(await backend.jobAddress!(handle)).toBe('nid001');
    expect(runner.calls.filter((call) => call[2] === 'node')).toHaveLength(2);
  });

  it('reads NodeAddr from the line of that node only', () => {
    expect(nodeAddressFromScontrol(nodeLine('nid1', '10.1.1.1') + nodeLine('nid10', '10.1.1.10'), 'nid10')).toBe('10.1.1.10');
    expect(nodeAddressFromScontrol(nodeLine('nid10', '10.1.1.10'), 'nid1')).toBeUndefined();
    expect(nodeAddressFromScontrol('NodeName=n1 NodeAddr=(null) State=IDLE', 'n1')).toBeUndefined();
  });
});

describe.skipIf(!slurmAvailable)(`slurm jobAddress on real Slurm${slurmSkipReason ? ` (skipped: ${slurmSkipReason})` : ''}`, () => {
  it("is the NodeAddr of the job's node while it runs (127.0.0.1 for the test node)", async () => {
    const backend = createSlurmBackend({ runtime: 'none' });
    const processId = randomBytes(32).toString('hex');
    let handle: JobHandle | undefined;
    try {
      handle = await backend.start(job(processId));
      const started = handle;
      await expect.poll(async () => (await backend.status(started)).state, { timeout: 30_000, interval: 250 }).toBe('running');
      expect(await backend.jobAddress!(started)).toBe('127.0.0.1');
    } finally {
      if (handle) await backend.cancel(handle);
    }
    expect(await backend.jobAddress!(handle)).toBeUndefined();
  });
});
