/**
 * `plan --check` through a real dev-server: the preflight process reaches the executor targeted like the
 * job, the executor asks its backend (never starting a job) and closes the process with the answer, which
 * `preflightProject` reads. A backend without a preflight answers that the spec is valid for it; a spec the
 * executor would refuse is answered with the reason; a preflight nobody takes ends as "no answer".
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Backend, JobPreflight, JobRequest } from '@pollinator/backend';
import { createColoniesClient, ProcessState, type FunctionSpec } from '@pollinator/colonies-client';
import { startDevServer, type DevServer } from '@pollinator/dev-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PREFLIGHT_FUNCNAME } from './preflight-answer';
import { preflightProject, preflightSpec } from './preflight-project';
import { runExecutor, type RunningExecutor } from './run-executor';

let server: DevServer;
let root: string;
const executors: RunningExecutor[] = [];

beforeAll(async () => {
  server = await startDevServer({});
  root = mkdtempSync(join(tmpdir(), 'pollinator-job-preflight-'));
});
afterAll(async () => {
  for (const executor of executors) await executor.stop('cancel');
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

/** A backend that answers preflights with `answer` (when given) and must never start a job. */
function preflightBackend(asked: JobRequest[], answer?: (job: JobRequest) => JobPreflight): Backend {
  const never = (name: string) => () => {
    throw new Error(`${name} called during a preflight`);
  };
  return {
    name: 'fake',
    start: never('start'),
    status: never('status'),
    logs: never('logs'),
    cancel: never('cancel'),
    ...(answer ? { preflightJob: async (job: JobRequest) => (asked.push(job), answer(job)) } : {}),
  };
}

function userClient() {
  const { colony, user } = server.identities;
  return createColoniesClient({ url: server.url, privateKey: user.privateKey, colonyName: colony.name });
}

async function startExecutor(name: string, backend: Backend): Promise<void> {
  const { colony } = server.identities;
  const executor = runExecutor({
    client: createColoniesClient({ url: server.url, privateKey: colony.privateKey, colonyName: colony.name }),
    backend,
    fsDir: join(root, name, 'fs'),
    stateDir: join(root, name, 'state'),
    register: { colonyPrivateKey: colony.privateKey, name, type: name },
    assignTimeoutSeconds: 1,
  });
  executors.push(executor);
  await executor.ready;
}

/** The spec `run` would submit, targeted at executors of `type`. */
function jobSpec(type: string, overrides: { partition?: string; maxretries?: number } = {}): FunctionSpec {
  return {
    nodename: '',
    funcname: 'execute',
    args: [],
    kwargs: { cmd: 'python', args: ['/cfs/main.py'], 'docker-image': 'python:3.12-slim', 'init-cmd': '', 'rebuild-image': false, ...(overrides.partition ? { 'slurm-partition': overrides.partition } : {}) },
    priority: 0,
    maxwaittime: -1,
    maxexectime: 60,
    maxretries: overrides.maxretries ?? 3,
    conditions: {
      colonyname: server.identities.colony.name,
      executornames: [],
      executortype: type,
      dependencies: [],
      nodes: 1,
      cpu: '1000m',
      processes: 0,
      processespernode: 1,
      mem: '1000Mi',
      storage: '',
      gpu: { name: '', count: 0, mem: '', nodecount: 0 },
      walltime: 60,
    },
    label: '',
    fs: { mount: '/cfs', snapshots: [{ snapshotid: 'snap', label: '/src', dir: '/src', keepfiles: false, keepsnapshot: false }], dirs: [] },
    env: { GREETING: 'hi' },
  };
}

describe('plan --check: the executor answers a preflight', () => {
  it('the preflight spec keeps the targeting and kwargs, drops the staging and waits only a short time', () => {
    const spec = jobSpec('any');
    const preflight = preflightSpec(spec, 20);
    expect(preflight).toEqual({ ...spec, funcname: PREFLIGHT_FUNCNAME, maxwaittime: 20, fs: { mount: '/cfs', snapshots: [], dirs: [] } });
  });

  it('a backend with a preflight is asked with the job the spec would give, and its answer comes back; no job starts', async () => {
    const asked: JobRequest[] = [];
    await startExecutor('asks', preflightBackend(asked, (job) => ({ ok: false, message: `no partition ${job.placement.partition}` })));
    const refused = await preflightProject({ client: userClient(), spec: jobSpec('asks', { partition: 'gpu' }), waitSeconds: 20 });
    expect(refused).toMatchObject({ kind: 'answered', answer: { ok: false, message: 'no partition gpu', backend: 'fake', checked: true } });
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({ image: 'python:3.12-slim', command: 'python /cfs/main.py', mounts: [], env: { GREETING: 'hi' } });
    const process = await userClient().getProcess(refused.processId);
    // The preflight itself succeeded: its answer is the output; the log says it too.
    expect(process.state).toBe(ProcessState.SUCCESS);
  });

  it('earliestStart is passed on', async () => {
    const asked: JobRequest[] = [];
    await startExecutor('estimates', preflightBackend(asked, () => ({ ok: true, message: 'would start soon', earliestStart: '2026-12-03T13:40:00' })));
    const result = await preflightProject({ client: userClient(), spec: jobSpec('estimates'), waitSeconds: 20 });
    expect(result).toMatchObject({ kind: 'answered', answer: { ok: true, message: 'would start soon', earliestStart: '2026-12-03T13:40:00', checked: true } });
  });

  it('a backend without a preflight answers that the job is valid for it (unchecked); an invalid spec is refused with the executor\'s reason', async () => {
    await startExecutor('plain', preflightBackend([]));
    const valid = await preflightProject({ client: userClient(), spec: jobSpec('plain'), waitSeconds: 20 });
    expect(valid).toMatchObject({ kind: 'answered', answer: { ok: true, backend: 'fake', checked: false } });
    const invalid = await preflightProject({ client: userClient(), spec: jobSpec('plain', { maxretries: 0 }), waitSeconds: 20 });
    expect(invalid).toMatchObject({ kind: 'answered', answer: { ok: false, message: 'Invalid funcspec, maxretries must be set to a larger value than 0' } });
  });

  it('no executor of the type: no answer, and the preflight process is gone', async () => {
    const client = userClient();
    const result = await preflightProject({ client, spec: jobSpec('nobody-runs-this'), waitSeconds: 1 });
    expect(result).toMatchObject({ kind: 'no-answer', waitedSeconds: 1 });
    const left = await client.getProcess(result.processId).then(
      (process) => process.state,
      () => 'removed',
    );
    expect([ProcessState.FAILED, 'removed']).toContain(left);
  });
});
