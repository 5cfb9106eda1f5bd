/**
 * Retries by cause (issue #17) through the whole executor with the k8s
 * backend on the fake API server, whose kubelet runs each container as real
 * processes: a preempted pod (`DisruptionTarget`, `simulate.preempt`) and a
 * lost node (`simulate.nodeLoss`) are retried by default; an out-of-memory
 * kill (`simulate.oomKill`) is not, unless `retryOn` says so, and then with
 * more memory per attempt. Each
 * attempt is its own process, linked both ways (`POLLINATOR_RETRY_OF` /
 * `POLLINATOR_ATTEMPT` in the retry's spec, `POLLINATOR_RETRIED_AS` on the
 * failed one), closed with its cause; every attempt's log is kept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Process } from '@pollinator/colonies-client';
import { RunRecordKey } from '@pollinator/core';
import { RETRY_MEMORY_FACTOR_ENV, RETRY_ON_ENV } from '@pollinator/spec-builder';
import type { KubeObject } from '@pollinator/test-utils';
import { NAMESPACE, PROCESS_ID_ANNOTATION, outValue, podsOf, startFakeColony, type FakeColony } from './fake-colony.test-helpers';

const SUCCESS = 2;
const FAILED = 3;

/**
 * The job: the first attempt prints `ready` once its SIGTERM trap is set and
 * waits (a checkpointing job takes a moment to stop); a later attempt finishes.
 */
const JOB_SCRIPT = [
  'attempt=${POLLINATOR_ATTEMPT:-1}',
  'echo "attempt $attempt starts"',
  'if [ "$attempt" -ge 2 ]; then echo "attempt $attempt done"; exit 0; fi',
  "trap 'echo checkpointed; sleep 1; exit 143' TERM",
  'echo ready',
  'sleep 60 & wait',
].join('\n');

let colony: FakeColony;
let fake: FakeColony['fake'];
let user: FakeColony['user'];

beforeAll(async () => {
  colony = await startFakeColony();
  ({ fake, user } = colony);
}, 60_000);

afterAll(async () => {
  await colony?.close();
});

const submit = (env: Record<string, string> = {}): Promise<string> => colony.submit(JOB_SCRIPT, { env });
const logText = (processId: string): Promise<string> => colony.logText(processId);

/** The process's pod once its job has printed `ready` (its trap is set, so a SIGTERM now is handled as a real job would). */
async function readyPod(processId: string): Promise<KubeObject> {
  let found: KubeObject | undefined;
  await expect
    .poll(
      async () => {
        found = fake.list('pods', NAMESPACE).find(podsOf(processId));
        if (!found || found.status?.phase !== 'Running') return '';
        const response = await fetch(`${fake.url}/api/v1/namespaces/${NAMESPACE}/pods/${found.metadata.name}/log`);
        return response.ok ? response.text() : '';
      },
      { timeout: 20_000, interval: 50 },
    )
    .toContain('ready');
  return found!;
}

/** The chain from `first`, following `POLLINATOR_RETRIED_AS`, once its last attempt is closed. */
async function chain(first: string): Promise<Process[]> {
  const attempts: Process[] = [];
  let id: string | undefined = first;
  while (id !== undefined) {
    const current: string = id;
    await expect.poll(async () => (await user.getProcess(current)).state, { timeout: 30_000, interval: 100 }).toBeGreaterThanOrEqual(SUCCESS);
    const process = await user.getProcess(current);
    attempts.push(process);
    id = outValue(process, RunRecordKey.retriedAs);
  }
  return attempts;
}

/** The memory limit of the Job created for each process, in the order given. */
function memoryLimits(processIds: string[]): string[] {
  return processIds.map((processId) => {
    const created = fake.requests.find(
      (request) => request.method === 'POST' && request.path === `/apis/batch/v1/namespaces/${NAMESPACE}/jobs` && !request.query.dryRun && (request.body as KubeObject).metadata.annotations?.[PROCESS_ID_ANNOTATION] === processId,
    );
    return (created!.body as KubeObject).spec.template.spec.containers[0].resources.limits.memory as string;
  });
}

describe('retries by cause on the Kubernetes fake, through the executor', () => {
  it('a preempted pod is retried by default: a linked attempt 2 that succeeds, both logs kept', { timeout: 90_000 }, async () => {
    const first = await submit();
    await readyPod(first);
    expect(fake.simulate.preempt(podsOf(first))).toBe(1);
    const [failed, retried, ...rest] = await chain(first);
    expect(rest).toEqual([]);
    expect(failed!.state).toBe(FAILED);
    expect(outValue(failed!, RunRecordKey.failureCause)).toBe('preempted');
    expect(outValue(failed!, RunRecordKey.failureDetail)).toBe('killed: preempted by a higher-priority job — run it again, or use a partition or QoS without preemption');
    expect(outValue(failed!, RunRecordKey.retriedAs)).toBe(retried!.processid);
    expect(retried!.state).toBe(SUCCESS);
    expect(retried!.spec.env).toMatchObject({ [RunRecordKey.attempt]: '2', [RunRecordKey.retryOf]: first });
    expect(outValue(retried!, RunRecordKey.failureCause)).toBeUndefined();
    const firstLog = await logText(first);
    expect(firstLog).toContain('attempt 1 starts');
    expect(firstLog).toContain('checkpointed');
    expect(firstLog).toContain(`Pollinator: attempt 1 of 3 killed: preempted by a higher-priority job; retrying as attempt 2 of 3: process ${retried!.processid}\n`);
    expect(await logText(retried!.processid)).toContain('attempt 2 done');
    expect(memoryLimits([first, retried!.processid])).toEqual(['100Mi', '100Mi']);
  });

  it('an out-of-memory kill is not retried by default: one attempt, closed with its cause', { timeout: 90_000 }, async () => {
    const first = await submit();
    await readyPod(first);
    expect(fake.simulate.oomKill(podsOf(first))).toBe(1);
    const attempts = await chain(first);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]!.state).toBe(FAILED);
    expect(outValue(attempts[0]!, RunRecordKey.failureCause)).toBe('out-of-memory');
    expect(outValue(attempts[0]!, RunRecordKey.failureDetail)).toBe('killed: out of memory (limit 100 MiB) — raise conditions.mem');
    expect(outValue(attempts[0]!, RunRecordKey.retriedAs)).toBeUndefined();
  });

  it('an out-of-memory kill with retryOn [out-of-memory] and memory ×2: attempt 2 runs with twice the memory', { timeout: 90_000 }, async () => {
    const first = await submit({ [RETRY_ON_ENV]: 'out-of-memory', [RETRY_MEMORY_FACTOR_ENV]: '2' });
    await readyPod(first);
    expect(fake.simulate.oomKill(podsOf(first))).toBe(1);
    const [failed, retried, ...rest] = await chain(first);
    expect(rest).toEqual([]);
    expect(outValue(failed!, RunRecordKey.failureCause)).toBe('out-of-memory');
    expect(outValue(failed!, RunRecordKey.retriedAs)).toBe(retried!.processid);
    expect(retried!.state).toBe(SUCCESS);
    expect(retried!.spec.env).toMatchObject({ [RunRecordKey.attempt]: '2', [RunRecordKey.retryOf]: first });
    expect([failed!.spec.conditions.mem, retried!.spec.conditions.mem]).toEqual(['100Mi', '200Mi']);
    // The pods themselves got the memory: the Jobs' container limits.
    expect(memoryLimits([first, retried!.processid])).toEqual(['100Mi', '200Mi']);
    expect(await logText(first)).toContain(`Pollinator: attempt 1 of 3 killed: out of memory (limit 100 MiB); retrying as attempt 2 of 3: process ${retried!.processid}\n`);
  });

  // Last: a lost node stays lost in the fake.
  it('a lost node is retried by default, on a node that is still there', { timeout: 90_000 }, async () => {
    const first = await submit();
    const lostNode = (await readyPod(first)).spec.nodeName as string;
    fake.simulate.nodeLoss(lostNode);
    const [failed, retried, ...rest] = await chain(first);
    expect(rest).toEqual([]);
    expect(outValue(failed!, RunRecordKey.failureCause)).toBe('node-failure');
    expect(outValue(failed!, RunRecordKey.failureDetail)).toContain(lostNode);
    expect(retried!.state).toBe(SUCCESS);
    expect(retried!.spec.env).toMatchObject({ [RunRecordKey.attempt]: '2', [RunRecordKey.retryOf]: first });
    expect(outValue(retried!, 'NODES')).not.toBe(lostNode);
  });
});
