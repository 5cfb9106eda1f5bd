/**
 * Retries (issue #17) end to end through the embedded dev-server: a backend
 * whose jobs end by a scripted cause, one per attempt. A node failure is
 * retried by default (the next attempt is a new process linked both ways,
 * the failed one closed with its cause, both logs kept); an exit 1 is not;
 * an out-of-memory kill is retried only when `retryOn` says so, with more
 * memory; the budget (`maxretries`) ends the chain. Plus the pure parts:
 * attempt counting (server re-queues count), the policy, the grown spec.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalBlobStore } from '@pollinator/cfs-sync';
import { createColoniesClient, type ColoniesClient, type FunctionSpecInput, type Process } from '@pollinator/colonies-client';
import { startDevServer, type DevServer } from '@pollinator/dev-server';
import { RETRY_MEMORY_FACTOR_ENV, RETRY_ON_ENV, RETRY_WALLTIME_FACTOR_ENV, SPEC_LIMITS } from '@pollinator/spec-builder';
import type { Backend, JobHandle, JobRequest, JobStatus, LogChunk } from './backend';
import type { PollinatorEvent } from './events';
import { attemptOf, decideRetry, nextAttemptSpec } from './executor-retry';
import { followAttempts } from './follow-attempts';
import { describeAttemptChain, getAttemptChain } from './process-attempts';
import type { ExecutorProcess } from './executor-types';
import { runExecutor, type RunningExecutor } from './run-executor';
import { FakeBackend, FakeClient, makeProcess, start, until } from './run-executor.test-helpers';
import { RunRecordKey } from './run-record-keys';

/** Jobs that end at once, each with the status scripted for its command (`cmd` names the script, one status per attempt). */
class CauseBackend implements Backend {
  readonly name = 'cause';
  readonly scripts = new Map<string, JobStatus[]>();
  readonly started: JobRequest[] = [];
  readonly #final = new Map<string, JobStatus>();

  async start(job: JobRequest): Promise<JobHandle> {
    this.started.push(job);
    const script = this.scripts.get(job.command.split(' ')[0]!) ?? [];
    this.#final.set(job.processId, script.shift() ?? { state: 'succeeded', exitCode: 0 });
    return { backend: this.name, processId: job.processId, id: job.processId, data: {} };
  }
  async status(handle: JobHandle): Promise<JobStatus> {
    return this.#final.get(handle.id) ?? { state: 'running', nodes: ['n1'] };
  }
  async *logs(handle: JobHandle): AsyncIterable<LogChunk> {
    yield { text: `output of ${handle.id} (${this.#final.get(handle.id)?.state})\n`, cursor: '1' };
  }
  async cancel(): Promise<void> {}
}

const NODE_FAILURE: JobStatus = { state: 'failed', exitCode: null, reason: 'NODE_FAIL', cause: { kind: 'node-failure', nodes: ['nid007'] } };
const OUT_OF_MEMORY: JobStatus = { state: 'failed', exitCode: 137, reason: 'OUT_OF_MEMORY', cause: { kind: 'out-of-memory', exitCode: 137 } };
const EXIT_1: JobStatus = { state: 'failed', exitCode: 1, reason: 'exit code 1' };

const OUT = 1;
function outValue(process: Process, key: string): string | undefined {
  return (process.attributes ?? []).find((attribute) => attribute.key === key && attribute.attributetype === OUT)?.value;
}

describe('retries through the dev-server', () => {
  let server: DevServer;
  let root: string;
  let user: ColoniesClient;
  let executor: RunningExecutor;
  const backend = new CauseBackend();

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'pollinator-retry-'));
    server = await startDevServer({ dataDir: join(root, 'server') });
    const { colony, executor: identity } = server.identities;
    const client = (privateKey: string) => createColoniesClient({ url: server.url, privateKey, colonyName: colony.name });
    user = client(server.identities.user.privateKey);
    executor = runExecutor({
      client: client(identity.privateKey),
      backend,
      cfs: { store: createLocalBlobStore({ dir: server.blobDir }) },
      fsDir: join(root, 'fs'),
      stateDir: join(root, 'state'),
      executorName: identity.name,
      assignTimeoutSeconds: 1,
      watchIntervalMs: 50,
    });
    await executor.ready;
  });

  afterAll(async () => {
    await executor?.stop('cancel');
    await server?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  async function submit(script: string, statuses: JobStatus[], extra: { maxretries?: number; env?: Record<string, string>; mem?: string } = {}): Promise<string> {
    backend.scripts.set(script, statuses);
    const spec: FunctionSpecInput = {
      funcname: 'execute',
      kwargs: { cmd: script, args: [], 'docker-image': 'none', 'init-cmd': '' },
      maxexectime: 120,
      maxretries: extra.maxretries ?? 2,
      maxwaittime: -1,
      conditions: { executortype: server.identities.executor.type, nodes: 1, processespernode: 1, cpu: '100m', mem: extra.mem ?? '100Mi', walltime: 120 },
      env: extra.env ?? {},
      fs: { mount: '/cfs', snapshots: [], dirs: [] },
    };
    return (await user.submit(spec)).processid;
  }

  /** The chain from `first`, following POLLINATOR_RETRIED_AS, once its last attempt is closed. */
  async function chain(first: string): Promise<Process[]> {
    const attempts: Process[] = [];
    let id: string | undefined = first;
    while (id !== undefined) {
      const current: string = id;
      await expect.poll(async () => (await user.getProcess(current)).state, { timeout: 20_000, interval: 50 }).toBeGreaterThanOrEqual(2);
      const process = await user.getProcess(current);
      attempts.push(process);
      id = outValue(process, RunRecordKey.retriedAs);
    }
    return attempts;
  }

  async function logText(processId: string): Promise<string> {
    return (await user.getLogs({ processId, count: 100 })).map((entry) => entry.message).join('');
  }

  it('retries a node failure by default: a new linked process, the failed one closed with its cause, both logs kept', async () => {
    const first = await submit('node-failure-once', [NODE_FAILURE, { state: 'succeeded', exitCode: 0 }]);
    const [failed, retried, ...rest] = await chain(first);
    expect(rest).toEqual([]);
    expect(failed!.state).toBe(3);
    expect(outValue(failed!, RunRecordKey.failureCause)).toBe('node-failure');
    expect(outValue(failed!, RunRecordKey.retriedAs)).toBe(retried!.processid);
    expect(retried!.state).toBe(2);
    expect(retried!.spec.env).toMatchObject({ [RunRecordKey.attempt]: '2', [RunRecordKey.retryOf]: first });
    expect(retried!.spec.conditions.mem).toBe(failed!.spec.conditions.mem);
    expect(await logText(first)).toContain(`output of ${first}`);
    expect(await logText(first)).toContain(`Pollinator: attempt 1 of 3 killed: node failure (nid007); retrying as attempt 2 of 3: process ${retried!.processid}\n`);
    expect(await logText(retried!.processid)).toContain(`output of ${retried!.processid}`);
  });

  it('reads the chain back from any attempt, and follows it to the last attempt\'s outcome', async () => {
    const first = await submit('node-failure-twice', [NODE_FAILURE, NODE_FAILURE, { state: 'succeeded', exitCode: 0 }]);
    const events: PollinatorEvent[] = [];
    const result = await followAttempts({ client: user, processId: first, pollIntervalMs: 50 }, (event) => events.push(event));
    const [, second, third] = await chain(first);
    expect(result).toMatchObject({ processId: third!.processid, state: 'success', exitCode: 0, detached: false });
    expect(events.filter((event) => event.type === 'process.retried')).toEqual([
      { type: 'process.retried', processId: first, retryProcessId: second!.processid, attempt: 2, attempts: 3, cause: 'node-failure', causeText: 'killed: node failure (nid007)' },
      { type: 'process.retried', processId: second!.processid, retryProcessId: third!.processid, attempt: 3, attempts: 3, cause: 'node-failure', causeText: 'killed: node failure (nid007)' },
    ]);
    // Every attempt's log was followed, in order.
    const logs = events.flatMap((event) => (event.type === 'log' && event.message.startsWith('output of') ? [event.message] : []));
    expect(logs).toEqual([first, second!.processid, third!.processid].map((id) => expect.stringContaining(`output of ${id}`)));
    for (const id of [first, second!.processid, third!.processid]) {
      const found = await getAttemptChain({ client: user, processId: id });
      expect(found.attempts.map((attempt) => attempt.processId)).toEqual([first, second!.processid, third!.processid]);
      expect(describeAttemptChain(found)).toBe('attempt 1 of 3: killed: node failure (nid007) → attempt 2 of 3: killed: node failure (nid007) → attempt 3 of 3 succeeded');
    }
  });

  it('does not retry an exit code by default', async () => {
    const first = await submit('exit-1', [EXIT_1, { state: 'succeeded', exitCode: 0 }]);
    const attempts = await chain(first);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]!.state).toBe(3);
    expect(outValue(attempts[0]!, RunRecordKey.failureCause)).toBe('failed');
    expect(backend.scripts.get('exit-1')).toHaveLength(1);
  });

  it('does not retry an out-of-memory kill by default', async () => {
    const attempts = await chain(await submit('oom-default', [OUT_OF_MEMORY, { state: 'succeeded', exitCode: 0 }]));
    expect(attempts).toHaveLength(1);
    expect(outValue(attempts[0]!, RunRecordKey.failureCause)).toBe('out-of-memory');
  });

  it('retries an out-of-memory kill when opted in, with more memory each attempt, until the budget is used', async () => {
    const env = { [RETRY_ON_ENV]: 'out-of-memory', [RETRY_MEMORY_FACTOR_ENV]: '2' };
    const attempts = await chain(await submit('oom-always', [OUT_OF_MEMORY, OUT_OF_MEMORY, OUT_OF_MEMORY, OUT_OF_MEMORY], { maxretries: 2, env, mem: '1000Mi' }));
    expect(attempts.map((process) => process.state)).toEqual([3, 3, 3]);
    expect(attempts.map((process) => process.spec.conditions.mem)).toEqual(['1000Mi', '2000Mi', '4000Mi']);
    expect(attempts.map((process) => process.spec.env[RunRecordKey.attempt])).toEqual([undefined, '2', '3']);
    expect(attempts.map((process) => outValue(process, RunRecordKey.failureCause))).toEqual(['out-of-memory', 'out-of-memory', 'out-of-memory']);
    // The jobs themselves got the memory (the backend's request), and the 4th scripted status was never used.
    const jobs = backend.started.filter((job) => job.command.startsWith('oom-always'));
    expect(jobs.map((job) => job.resources.memoryBytes / 2 ** 20)).toEqual([1000, 2000, 4000]);
    expect(jobs.map((job) => job.env[RunRecordKey.attempt])).toEqual([undefined, '2', '3']);
    expect(backend.scripts.get('oom-always')).toHaveLength(1);
  });
});

/** A client that can submit (records what), and whose server re-queued a process when `requeued` says so. */
class SubmittingClient extends FakeClient {
  submitted: FunctionSpecInput[] = [];
  requeued = new Set<string>();
  async submit(spec: FunctionSpecInput): Promise<{ processid: string }> {
    this.submitted.push(spec);
    return { processid: `retry-${this.submitted.length}` };
  }
  override async getProcess(processId: string): Promise<ExecutorProcess> {
    const process = await super.getProcess(processId);
    return this.requeued.has(processId) ? { ...process, state: 0, assignedexecutorid: '' } : process;
  }
}

describe('a retry and the server\'s re-queue', () => {
  it('submits no linked retry for an attempt the server already re-queued (its re-queue is the retry)', async () => {
    const client = new SubmittingClient();
    const backend = new FakeBackend();
    client.queue.push(makeProcess('requeued'), makeProcess('ours'));
    client.requeued.add('requeued');
    start(client, backend);
    await until(() => backend.started.length === 2, 'jobs started');
    backend.finish('requeued', NODE_FAILURE);
    backend.finish('ours', NODE_FAILURE);
    await until(() => client.closed.length === 2, 'closed');
    expect(client.submitted.map((spec) => spec.env?.[RunRecordKey.retryOf])).toEqual(['ours']);
    expect(client.attributes).toContainEqual({ processId: 'ours', key: RunRecordKey.retriedAs, value: 'retry-1', type: 1 });
    expect(client.attributes.filter((entry) => entry.processId === 'requeued' && entry.key === RunRecordKey.retriedAs)).toEqual([]);
  });
});

describe('the retry decision', () => {
  const withEnv = (env: Record<string, string>, maxretries = 2, retries = 0): ExecutorProcess => {
    const process = makeProcess('p1');
    return { ...process, retries, spec: { ...process.spec, maxretries, env } };
  };

  it('counts the attempt from the spec and the server\'s re-queues', () => {
    expect(attemptOf(withEnv({}))).toBe(1);
    expect(attemptOf(withEnv({ [RunRecordKey.attempt]: '2' }, 2, 1))).toBe(3);
    expect(attemptOf(withEnv({ [RunRecordKey.attempt]: 'many' }))).toBe(1);
  });

  it('retries what retryOn names, any-failure all but a cancel, never past the budget', () => {
    const node = { kind: 'node-failure' as const };
    expect(decideRetry(withEnv({}), node)).toEqual({ retry: true, attempt: 2, of: 3 });
    expect(decideRetry(withEnv({}), { kind: 'preempted' })).toMatchObject({ retry: true });
    expect(decideRetry(withEnv({}), { kind: 'could-not-start', startProblem: 'boot' })).toMatchObject({ retry: true });
    expect(decideRetry(withEnv({}), { kind: 'time-limit' })).toEqual({ retry: false, why: 'retryOn does not include time-limit' });
    expect(decideRetry(withEnv({ [RETRY_ON_ENV]: 'any-failure' }), { kind: 'failed', exitCode: 1 })).toMatchObject({ retry: true });
    expect(decideRetry(withEnv({ [RETRY_ON_ENV]: 'any-failure' }), { kind: 'cancelled' })).toMatchObject({ retry: false });
    expect(decideRetry(withEnv({ [RETRY_ON_ENV]: 'none' }), node)).toMatchObject({ retry: false });
    expect(decideRetry(withEnv({ [RunRecordKey.attempt]: '3' }), node)).toEqual({ retry: false, why: 'attempt 3 of 3 was the last' });
    expect(decideRetry(withEnv({}, 2, 2), node)).toMatchObject({ retry: false });
    expect(decideRetry(withEnv({}), undefined)).toMatchObject({ retry: false });
  });

  it('grows the walltime and maxexectime after a time limit, within the spec limits; a hostile factor grows nothing', () => {
    const process = withEnv({ [RETRY_ON_ENV]: 'time-limit', [RETRY_WALLTIME_FACTOR_ENV]: '1.5' });
    const grown = nextAttemptSpec(process, { kind: 'time-limit' }, 2);
    expect(grown.conditions).toMatchObject({ walltime: 90, mem: '1000Mi' });
    expect(grown.maxexectime).toBe(90);
    expect(process.spec.conditions.walltime).toBe(60);
    const huge = withEnv({ [RETRY_WALLTIME_FACTOR_ENV]: '8' });
    huge.spec.conditions.walltime = SPEC_LIMITS.walltimeSeconds - 10;
    huge.spec.maxexectime = SPEC_LIMITS.walltimeSeconds - 10;
    expect(nextAttemptSpec(huge, { kind: 'time-limit' }, 2).conditions?.walltime).toBe(SPEC_LIMITS.walltimeSeconds);
    const hostile = withEnv({ [RETRY_MEMORY_FACTOR_ENV]: '1e9' });
    expect(nextAttemptSpec(hostile, { kind: 'out-of-memory' }, 2).conditions?.mem).toBe('1000Mi');
  });
});
